using System.Text.RegularExpressions;
using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Weights;

/// <summary>
/// Works out which YOLOv5 a state dict belongs to from its shapes (what the tensors are is the ground truth; file
/// metadata only fills in names and strides and must agree with the shapes).
/// </summary>
public static partial class ConfigInference
{
    /// <summary>Detect's index in the architecture table (24 in every P5 YOLOv5).</summary>
    public static readonly int DetectIndex = Architecture.Layers.Length - 1;

    /// <summary>Each scale's stem width (model.0's output channels: 16, 32, 48, 64, 80), from the architecture table.</summary>
    static readonly Dictionary<long, string> ScaleByStemWidth =
        ModelConfig.Scales.ToDictionary(s => Architecture.Channels(ModelConfig.FromName(s))[0], s => s);

    /// <summary>model.2's bottlenecks at a scale (the depth multiple applied to the table's repeats).</summary>
    static int Layer2Depth(string scale) => Architecture.Depth(Architecture.Layers[2].Repeats, ModelConfig.FromName(scale).DepthMultiple);

    public static ModelConfig Infer(IReadOnlyDictionary<string, Tensor> sd, WeightsMetadata meta, string source)
    {
        if (!sd.TryGetValue("model.0.conv.weight", out var stem) || stem.dim() != 4)
            throw new InvalidDataException($"{source}: not a YOLOv5 state dict (no 4-d model.0.conv.weight).");
        if (!ScaleByStemWidth.TryGetValue(stem.shape[0], out var scale))
            throw new InvalidDataException($"{source}: model.0.conv.weight has {stem.shape[0]} output channels; a YOLOv5 {string.Join("/", ModelConfig.Scales)} has {string.Join("/", ScaleByStemWidth.Keys)}.");

        int bottlenecks = sd.Keys.Select(k => Layer2Bottleneck().Match(k)).Where(m => m.Success)
                            .Select(m => int.Parse(m.Groups[1].Value)).Distinct().Count();
        int expectedDepth = Layer2Depth(scale);
        if (bottlenecks != expectedDepth)
            throw new InvalidDataException($"{source}: model.0 width says yolov5{scale} but model.2 has {bottlenecks} bottleneck(s) instead of {expectedDepth}; not a standard YOLOv5 scale.");

        var detectLayers = sd.Keys.Select(k => AnchorsKey().Match(k)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).ToList();
        if (detectLayers.Count != 1 || detectLayers[0] != DetectIndex)
            throw new InvalidDataException(detectLayers.Count == 0
                ? $"{source}: no Detect anchors (model.{DetectIndex}.anchors); not a YOLOv5 detection state dict."
                : $"{source}: Detect is at model.{string.Join(", model.", detectLayers)}, not model.{DetectIndex}; only P5 YOLOv5 models (n/s/m/l/x) are supported.");
        var anchors = sd[$"model.{DetectIndex}.anchors"];
        if (anchors.dim() != 3 || anchors.shape[0] != 3 || anchors.shape[2] != 2)
            throw new InvalidDataException($"{source}: model.{DetectIndex}.anchors has shape ({string.Join(",", anchors.shape)}), expected (3, na, 2).");
        long na = anchors.shape[1];

        var headKey = $"model.{DetectIndex}.m.0.weight";
        if (!sd.TryGetValue(headKey, out var head))
            throw new InvalidDataException($"{source}: {headKey} is missing; not a YOLOv5 detection state dict.");
        if (head.shape[0] % na != 0 || head.shape[0] / na <= 5)
            throw new InvalidDataException($"{source}: {headKey} has {head.shape[0]} rows, not {na} anchors x (5 + classes).");
        int nc = (int)(head.shape[0] / na - 5);
        if (meta.Nc is { } mnc && mnc != nc)
            throw new InvalidDataException($"{source}: metadata says nc={mnc} but the Detect head has {nc} classes.");

        string[] names;
        if (meta.Names is { } mn)
        {
            if (mn.Length != nc) throw new InvalidDataException($"{source}: {mn.Length} class names for {nc} classes.");
            names = mn;
        }
        else names = Enumerable.Range(0, nc).Select(i => $"class{i}").ToArray();

        var strides = meta.Strides ?? ModelConfig.DefaultStrides.Select(s => (float)s).ToArray();
        if (strides.Length != 3 || strides[0] <= 0 || strides[1] <= strides[0] || strides[2] <= strides[1])
            throw new InvalidDataException($"{source}: strides [{string.Join(", ", strides)}] are not 3 increasing positive values as a P5 YOLOv5 has.");

        float[][] anchorsPx;
        using (NewDisposeScope())
        {
            var px = anchors.to(ScalarType.Float32) * tensor(strides).view(-1, 1, 1);
            anchorsPx = Enumerable.Range(0, 3).Select(i => px[i].flatten().data<float>().ToArray()).ToArray();
        }

        return new ModelConfig
        {
            Scale = scale,
            Nc = nc,
            Names = names,
            AnchorsPx = anchorsPx,
            Strides = strides.Select(s => (int)MathF.Round(s)).ToArray(),
        };
    }

    [GeneratedRegex(@"^model\.2\.m\.(\d+)\.")]
    private static partial Regex Layer2Bottleneck();

    [GeneratedRegex(@"^model\.(\d+)\.anchors$")]
    private static partial Regex AnchorsKey();
}
