using System.Globalization;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Training;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Weights;

/// <summary>
/// Entry point for reading YOLOv5 weights whatever their format, and for writing them as safetensors.
/// Formats are chosen from the first bytes and the extension: this project's training checkpoints (the EMA weights),
/// Ultralytics .pt checkpoints and .safetensors state dicts; other formats plug in through <see cref="Register"/>.
/// </summary>
public static class WeightsFile
{
    static readonly object Gate = new();
    static List<IWeightsReader> readers = [new CheckpointWeightsReader(), new UltralyticsPtReader(), new SafeTensorsWeightsReader()];

    /// <summary>Adds a format, asked before those already known (so a project format can claim its own files).</summary>
    public static void Register(IWeightsReader reader)
    {
        lock (Gate)
        {
            if (readers.Any(r => r.Format == reader.Format)) return;
            readers = [reader, .. readers];
        }
    }

    public static IReadOnlyList<IWeightsReader> Readers => readers;

    public static LoadedWeights Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: weights file not found.", path);
        var head = new byte[64];
        int n;
        using (var fs = File.OpenRead(path)) n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (n == 0) throw new InvalidDataException($"{path}: the weights file is empty.");
        foreach (var r in readers)
            if (r.CanRead(path, head.AsSpan(0, n))) return r.Read(path);
        throw new InvalidDataException(
            $"{path}: unknown weights format (expected an Ultralytics YOLOv5 .pt checkpoint or a .safetensors state dict; known formats: {string.Join(", ", readers.Select(r => r.Format))}).");
    }

    /// <summary>
    /// Writes a state dict under Ultralytics' keys with nc, names, stride and anchors (pixels) as JSON metadata, in the style of
    /// the reference yolov5n.safetensors, so <see cref="Load"/> (and Python's safetensors) read it back. Floating tensors are
    /// stored as float32, or float16 when <paramref name="half"/>; integer buffers keep their type. Written atomically.
    /// </summary>
    public static void SaveSafeTensors(string path, IReadOnlyDictionary<string, Tensor> stateDict, ModelConfig cfg, bool half = false)
    {
        if (cfg.Names.Length != cfg.Nc) throw new ArgumentException($"{cfg.Names.Length} class names for nc={cfg.Nc}.");
        var meta = new Dictionary<string, string>
        {
            ["nc"] = cfg.Nc.ToString(CultureInfo.InvariantCulture),
            ["names"] = "[" + string.Join(", ", cfg.Names.Select(s => System.Text.Json.JsonSerializer.Serialize(s))) + "]",
            ["stride"] = "[" + string.Join(", ", cfg.Strides.Select(s => Num(s))) + "]",
            ["anchors"] = "[" + string.Join(", ", cfg.AnchorsPx.Select(level =>
                "[" + string.Join(", ", level.Chunk(2).Select(wh => $"[{Num(wh[0])}, {Num(wh[1])}]")) + "]")) + "]",
            ["anchors_note"] = $"anchors in pixels, shape (nl={cfg.NumLevels}, na={cfg.NumAnchors}, 2) (w,h); tensor model.{ConfigInference.DetectIndex}.anchors holds them divided by stride (grid units)",
            ["model"] = cfg.ModelName,
            ["dtype_note"] = half ? "floating tensors stored fp16" : "floating tensors stored fp32",
            ["source"] = "yolo-distill",
        };
        using var scope = NewDisposeScope();
        var target = half ? ScalarType.Float16 : ScalarType.Float32;
        var converted = stateDict.ToDictionary(kv => kv.Key, kv => kv.Value.is_floating_point() ? kv.Value.to(target) : kv.Value, StringComparer.Ordinal);
        SafeTensors.Save(path, converted, meta);
    }

    // Python's repr of a float: shortest round-trip digits, always with a decimal point.
    static string Num(float v)
    {
        var s = v.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.') || s.Contains('E') || s.Contains('N') || s.Contains('I') ? s : s + ".0";
    }
}
