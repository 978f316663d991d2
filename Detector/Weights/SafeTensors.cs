using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;
using YoloDistill.Detector.Common;

namespace YoloDistill.Detector.Weights;

/// <summary>A named set of tensors with string metadata, as a .safetensors file holds it.</summary>
public sealed class TensorFile : IDisposable
{
    public Dictionary<string, Tensor> Tensors { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    public Tensor this[string name] => Tensors.TryGetValue(name, out var t)
        ? t : throw new KeyNotFoundException($"Tensor '{name}' is not in the file.");

    public void Dispose()
    {
        foreach (var t in Tensors.Values) t.Dispose();
        Tensors.Clear();
    }
}

/// <summary>
/// Reads and writes the safetensors format (u64-LE header length, JSON header, raw little-endian data),
/// the format Hugging Face and Ultralytics tooling use to exchange plain state dicts.
/// </summary>
public static class SafeTensors
{
    const long MaxHeader = 100L * 1024 * 1024;

    public static TensorFile Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found.", path);
        var bytes = File.ReadAllBytes(path);
        try { return Parse(bytes, path); }
        catch (Exception e) when (e is JsonException or ArgumentException or IndexOutOfRangeException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: not a valid safetensors file ({e.Message}).", e);
        }
    }

    static TensorFile Parse(byte[] bytes, string path)
    {
        if (bytes.Length < 8) throw new InvalidDataException($"{path}: not a valid safetensors file (shorter than its 8-byte header length).");
        long n = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        if (n <= 0 || n > MaxHeader || 8 + n > bytes.Length)
            throw new InvalidDataException($"{path}: not a valid safetensors file (header length {n} does not fit a {bytes.Length}-byte file; truncated?).");
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n))?.AsObject()
                     ?? throw new InvalidDataException($"{path}: safetensors header is not a JSON object.");
        long dataStart = 8 + n;
        var file = new TensorFile();
        try
        {
            foreach (var (name, node) in header)
            {
                if (name == "__metadata__")
                {
                    if (node is JsonObject meta)
                        foreach (var (k, v) in meta) file.Metadata[k] = v?.GetValue<string>() ?? "";
                    continue;
                }
                file.Tensors[name] = TensorIndexEntry.Read(node!.AsObject(), "data_offsets", bytes, dataStart, bytes.Length, path, name,
                    offs => $"{path}: tensor '{name}' data [{offs[0]}, {offs[1]}) does not match its shape or lies outside the file (truncated?).");
            }
        }
        catch
        {
            file.Dispose();
            throw;
        }
        return file;
    }

    /// <summary>Writes tensors (moved to CPU, contiguous) in name order, atomically (temporary file, then rename).</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata) meta[k] = v;
            header["__metadata__"] = meta;
        }
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var name in tensors.Keys.OrderBy(k => k, StringComparer.Ordinal))
        {
            using var t = tensors[name].detach().cpu().contiguous();
            var (entry, size) = TensorIndexEntry.Write(t, offset, "data_offsets");
            header[name] = entry;
            blobs.Add(t.bytes.ToArray());
            offset += size;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        AtomicFile.Write(path, fs =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(len, padded);
            fs.Write(len);
            fs.Write(json);
            for (int i = json.Length; i < padded; i++) fs.WriteByte((byte)' ');
            foreach (var b in blobs) fs.Write(b);
        });
    }

}
