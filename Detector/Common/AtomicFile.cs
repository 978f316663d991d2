using System.Text;

namespace YoloDistill.Detector.Common;

/// <summary>
/// Writes a file so that a reader, or a crash, sees either the old content or the whole new one, never a partial
/// file: the content goes to a temporary file with a unique name in the target's folder (a rename is only atomic
/// within one file system, and a unique name keeps two concurrent writers of the same target apart), is flushed to
/// disk (otherwise a power loss after the rename can leave an empty file under the final name), and is then renamed
/// over the target. The temporary file is removed when writing fails.
/// </summary>
public static class AtomicFile
{
    const int BufferSize = 1 << 20;

    /// <summary>Writes through <paramref name="write"/>, which gets a stream over the temporary file.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        Commit(path, tmp =>
        {
            bool flushed = false;
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize))
            {
                write(fs);
                // A writer that disposed the stream itself (a StreamWriter without leaveOpen) leaves it closed;
                // the file is then reopened to flush it.
                if (fs.CanWrite)
                {
                    fs.Flush(flushToDisk: true);
                    flushed = true;
                }
            }
            if (!flushed) FlushToDisk(tmp);
        });
    }

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text));

    /// <summary>
    /// For writers that only take a file name (OpenCV, ScottPlot, a CSV writer that opens its own file):
    /// <paramref name="writeFile"/> gets the temporary path, which ends in the target's extension because such
    /// writers pick the format from it.
    /// </summary>
    public static void WriteToTempPath(string path, Action<string> writeFile) => Commit(path, tmp =>
    {
        writeFile(tmp);
        FlushToDisk(tmp);
    });

    /// <summary>The temporary name for <paramref name="fullPath"/>: hidden, in the same folder, unique per call.</summary>
    internal static string TempPathFor(string fullPath) =>
        Path.Combine(Path.GetDirectoryName(fullPath)!,
            $".{Path.GetFileName(fullPath)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp{Path.GetExtension(fullPath)}");

    static void Commit(string path, Action<string> writeFlushed)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = TempPathFor(full);
        try
        {
            writeFlushed(tmp);
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    static void FlushToDisk(string file)
    {
        if (!File.Exists(file)) throw new IOException($"{file}: the writer did not create the file.");
        // Flush(true) only reaches fsync on a stream opened for writing; opening for writing does not truncate.
        using var fs = new FileStream(file, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1);
        fs.Flush(flushToDisk: true);
    }
}
