using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Weights;

/// <summary>
/// A YOLOv5 state dict in safetensors, Ultralytics keys, with optional __metadata__ (nc, names, stride, anchors as JSON
/// strings) as /work/shared/weights/yolov5n.safetensors and <see cref="WeightsFile.SaveSafeTensors"/> write it.
/// </summary>
public sealed class SafeTensorsWeightsReader : IWeightsReader
{
    public string Format => "safetensors";

    public bool CanRead(string path, ReadOnlySpan<byte> head) =>
        Path.GetExtension(path).Equals(".safetensors", StringComparison.OrdinalIgnoreCase)
        || (head.Length > 8 && head[8] == (byte)'{' && head[6] == 0 && head[7] == 0);

    public LoadedWeights Read(string path)
    {
        using var file = SafeTensors.Load(path);
        var meta = ParseMetadata(file.Metadata, path);
        var sd = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (k, t) in file.Tensors)
            {
                var v = t.is_floating_point() ? t.to(ScalarType.Float32, copy: true) : t.clone();
                // BatchNorm's counter is 0-d in PyTorch; some exporters (the reference yolov5n.safetensors) store it as shape [1].
                if (k.EndsWith(".num_batches_tracked", StringComparison.Ordinal) && v.dim() == 1 && v.numel() == 1)
                {
                    var scalar = v.reshape([]);
                    v.Dispose();
                    v = scalar;
                }
                sd[k] = v;
            }
            var cfg = ConfigInference.Infer(sd, meta, path);
            return new LoadedWeights { StateDict = sd, Config = cfg, Source = path, Format = Format, Metadata = meta };
        }
        catch
        {
            foreach (var t in sd.Values) t.Dispose();
            throw;
        }
    }

    static WeightsMetadata ParseMetadata(IReadOnlyDictionary<string, string> m, string path)
    {
        try
        {
            int? nc = m.TryGetValue("nc", out var s) ? int.Parse(s, CultureInfo.InvariantCulture) : null;
            string[]? names = null;
            if (m.TryGetValue("names", out var n))
            {
                names = JsonNode.Parse(n) switch
                {
                    JsonArray a => a.Select(x => x!.GetValue<string>()).ToArray(),
                    JsonObject o => o.OrderBy(kv => int.Parse(kv.Key, CultureInfo.InvariantCulture)).Select(kv => kv.Value!.GetValue<string>()).ToArray(),
                    _ => throw new FormatException("names is neither a JSON list nor an object"),
                };
            }
            float[]? strides = m.TryGetValue("stride", out var st) ? Floats(JsonNode.Parse(st)!).ToArray() : null;
            // Anchors may be (nl, na, 2) or (nl, 2*na): flatten each level.
            float[][]? anchors = m.TryGetValue("anchors", out var an)
                ? JsonNode.Parse(an)!.AsArray().Select(level => Floats(level!).ToArray()).ToArray()
                : null;
            var extra = m.Where(kv => kv.Key is not ("nc" or "names" or "stride" or "anchors")).ToDictionary(kv => kv.Key, kv => kv.Value);
            return new WeightsMetadata { Nc = nc, Names = names, Strides = strides, AnchorsPx = anchors, Extra = extra };
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or OverflowException or NullReferenceException)
        {
            throw new InvalidDataException($"{path}: unreadable YOLOv5 metadata in the safetensors header ({e.Message}).", e);
        }
    }

    static IEnumerable<float> Floats(JsonNode node) => node is JsonArray a
        ? a.SelectMany(x => Floats(x!))
        : [node.GetValue<float>()];
}
