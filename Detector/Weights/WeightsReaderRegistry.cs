namespace YoloDistill.Detector.Weights;

/// <summary>
/// An ordered set of weights formats, asked in turn whether they claim a file. <see cref="WeightsFile"/> holds the
/// process-wide one; a test or a tool that needs an extra format builds its own with <see cref="Builtin"/>, so that no
/// other code in the process sees that format.
/// </summary>
public sealed class WeightsReaderRegistry
{
    readonly object gate = new();
    IWeightsReader[] readers;

    public WeightsReaderRegistry(IEnumerable<IWeightsReader> readers) => this.readers = readers.ToArray();

    /// <summary>This project's checkpoints (the EMA weights), Ultralytics .pt checkpoints and .safetensors state dicts.</summary>
    public static WeightsReaderRegistry Builtin() =>
        new([new CheckpointWeightsReader(), new UltralyticsPtReader(), new SafeTensorsWeightsReader()]);

    public IReadOnlyList<IWeightsReader> Readers => readers;

    /// <summary>Adds a format, asked before those already known (so a project format can claim its own files); a format already present is kept.</summary>
    public void Register(IWeightsReader reader)
    {
        lock (gate)
        {
            if (readers.Any(r => r.Format == reader.Format)) return;
            readers = [reader, .. readers];
        }
    }

    public LoadedWeights Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: weights file not found.", path);
        var head = new byte[64];
        int n;
        using (var fs = File.OpenRead(path)) n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (n == 0) throw new InvalidDataException($"{path}: the weights file is empty.");
        var known = readers;
        foreach (var r in known)
            if (r.CanRead(path, head.AsSpan(0, n))) return r.Read(path);
        throw new InvalidDataException(
            $"{path}: unknown weights format (expected an Ultralytics YOLOv5 .pt checkpoint or a .safetensors state dict; known formats: {string.Join(", ", known.Select(r => r.Format))}).");
    }
}
