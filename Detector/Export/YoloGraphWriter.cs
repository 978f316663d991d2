using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Export;

/// <summary>
/// Writes the detector's graph by walking <see cref="Architecture.AtScale"/>, the rows YoloModel is built from, so a new
/// scale or head is a change to the table alone. Weights come from the state dict by Ultralytics key (`model.{i}...`).
/// Each module's inside (Conv, C3 with its Bottlenecks, SPPF) is its forward written again as ONNX nodes: a change to
/// one of Model/Conv.cs, C3.cs, Bottleneck.cs or SPPF.cs needs the same change here.
/// </summary>
internal sealed class YoloGraphWriter(OnnxGraphBuilder g, IReadOnlyDictionary<string, Tensor> sd, ModelConfig cfg, OnnxExportOptions o)
{
    readonly DetectGraphWriter _detect = new(g, cfg, o);

    /// <summary>Emits every layer in table order from the image input and returns the name of Detect's output.</summary>
    public string Write(string images)
    {
        var rows = Architecture.AtScale(cfg);
        var outputs = new string[rows.Count];
        foreach (var l in rows)
        {
            var inputs = l.From.Select(f => f == Architecture.ImageInput ? images : outputs[f]).ToArray();
            var s = l.Spec;
            outputs[l.Index] = l.Kind switch
            {
                LayerKind.Conv => Conv(l.Key, inputs[0], s.Stride, s.ExplicitPadding, s.Kernel),
                LayerKind.C3 => C3(l.Key, inputs[0], l.Repeats, s.Shortcut),
                LayerKind.SPPF => Sppf(l.Key, inputs[0], s.Kernel),
                LayerKind.Upsample => Upsample(inputs[0], s.Scale),
                LayerKind.Concat => Concat(inputs, 1),
                LayerKind.Detect => _detect.Write(l.Key, inputs, Weight),
                _ => throw new InvalidOperationException($"Layer {l.Index}: the ONNX exporter has no writer for {l.Kind}."),
            };
        }
        return outputs[^1];
    }

    Tensor Weight(string key) => sd.TryGetValue(key, out var t)
        ? t : throw new InvalidDataException($"The weights lack '{key}', which a YOLOv5 {cfg.ModelName} model needs.");

    /// <summary>
    /// Ultralytics Conv: conv (no bias) + BN folded into weight and bias (<see cref="BatchNormFolding"/>), then SiLU as
    /// Sigmoid * x. A model fused before export (conv.bias, no bn) is written as it is. The kernel comes from the weight;
    /// a table row's kernel, when given, must agree with it.
    /// </summary>
    string Conv(string p, string x, int stride = 1, int? pad = null, int? tableKernel = null)
    {
        using var scope = NewDisposeScope();
        var (w, b) = sd.ContainsKey($"{p}.bn.weight")
            ? BatchNormFolding.Fold(Weight($"{p}.conv.weight"), Weight($"{p}.bn.weight"), Weight($"{p}.bn.bias"),
                Weight($"{p}.bn.running_mean"), Weight($"{p}.bn.running_var"), ScalarType.Float64)
            : (Weight($"{p}.conv.weight"), Weight($"{p}.conv.bias"));
        int k = (int)w.shape[2];
        if (tableKernel is int tk && tk != k)
            throw new InvalidDataException($"'{p}.conv.weight' is a {k}x{k} kernel; the architecture's {p} is {tk}x{tk}.");
        int pd = pad ?? k / 2;
        var wName = g.Initializer($"{p}.conv.weight", w);
        var bName = g.Initializer($"{p}.conv.bias", b);
        var y = g.Node("Conv", [x, wName, bName], $"{p}/conv",
            AttributeProto.Of("kernel_shape", k, k), AttributeProto.Of("pads", pd, pd, pd, pd),
            AttributeProto.Of("strides", stride, stride), AttributeProto.Of("dilations", 1L, 1L), AttributeProto.Of("group", 1L));
        var s = g.Node("Sigmoid", [y], $"{p}/act/sigmoid");
        return g.Node("Mul", [y, s], $"{p}/act/mul");
    }

    /// <summary>C3: cv1 through n Bottlenecks (1x1 then 3x3, residual add when shortcut), cv2 beside them, cv3 on both.</summary>
    string C3(string p, string x, int n, bool shortcut)
    {
        var a = Conv($"{p}.cv1", x);
        for (int i = 0; i < n; i++)
        {
            var h = Conv($"{p}.m.{i}.cv2", Conv($"{p}.m.{i}.cv1", a));
            a = shortcut ? g.Node("Add", [a, h], $"{p}.m.{i}/add") : h;
        }
        var b = Conv($"{p}.cv2", x);
        return Conv($"{p}.cv3", Concat([a, b], 1));
    }

    /// <summary>SPPF: three chained k x k max-pools (equivalent to SPP k, 2k-1, 3k-2), concatenated with their input.</summary>
    string Sppf(string p, string x, int k)
    {
        var a = Conv($"{p}.cv1", x);
        var y1 = MaxPool(a, k);
        var y2 = MaxPool(y1, k);
        var y3 = MaxPool(y2, k);
        return Conv($"{p}.cv2", Concat([a, y1, y2, y3], 1));
    }

    string MaxPool(string x, long k) => g.Node("MaxPool", [x], "maxpool",
        AttributeProto.Of("kernel_shape", k, k), AttributeProto.Of("pads", k / 2, k / 2, k / 2, k / 2), AttributeProto.Of("strides", 1L, 1L),
        AttributeProto.Of("ceil_mode", 0L));

    /// <summary>nn.Upsample(scale_factor, mode='nearest'), which is Resize asymmetric + floor.</summary>
    string Upsample(string x, float scale) => g.Node("Resize", [x, "", g.Float32s("upsample_scales", [1f, 1f, scale, scale])], "upsample",
        AttributeProto.Of("mode", "nearest"), AttributeProto.Of("coordinate_transformation_mode", "asymmetric"),
        AttributeProto.Of("nearest_mode", "floor"));

    string Concat(string[] xs, long axis) => g.Node("Concat", xs, "concat", AttributeProto.Of("axis", axis));
}
