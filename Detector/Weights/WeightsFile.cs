using System.Globalization;
using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Weights;

/// <summary>
/// Entry point for reading YOLOv5 weights whatever their format, and for writing them as safetensors.
/// Formats are chosen from the first bytes and the extension: this project's training checkpoints (the EMA weights),
/// Ultralytics .pt checkpoints and .safetensors state dicts; other formats plug in through <see cref="Register"/>.
/// </summary>
public static class WeightsFile
{
    /// <summary>The process-wide formats; tests that add a format use a registry of their own.</summary>
    public static WeightsReaderRegistry Registry { get; } = WeightsReaderRegistry.Builtin();

    /// <summary>Adds a format to the process-wide registry, asked before those already known.</summary>
    public static void Register(IWeightsReader reader) => Registry.Register(reader);

    public static IReadOnlyList<IWeightsReader> Readers => Registry.Readers;

    public static LoadedWeights Load(string path) => Registry.Load(path);

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
