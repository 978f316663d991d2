using System.Globalization;
using System.Text;
using TorchSharp;
using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Export;

/// <summary>
/// Writes a YOLOv5 (v6/v7 architecture) detector as ONNX the way Ultralytics export.py does: input `images`
/// (b,3,h,w), output `output0` (b, N, 5+nc) with Detect's decoding inside (<see cref="DetectDecoding"/>), Conv+BN folded
/// (<see cref="BatchNormFolding"/>), SiLU as Sigmoid*Mul, and metadata `stride` and `names` as Python reprs.
/// The graph follows Architecture's layer table (<see cref="YoloGraphWriter"/>) and takes its weights from a state
/// dict (Ultralytics keys), so it needs no TorchSharp model; a model that has been fused (conv.bias present, no bn) is
/// exported as is.
/// </summary>
public static class OnnxExporter
{
    /// <summary>Exports a model's current weights (its state dict, Ultralytics keys).</summary>
    internal static ModelProto Build(nn.Module model, ModelConfig cfg, OnnxExportOptions? options = null)
    {
        // state_dict hands out the model's own parameters: they must not be disposed here.
        return Build(model.state_dict(), cfg, options);
    }

    public static void Export(string path, IReadOnlyDictionary<string, Tensor> stateDict, ModelConfig cfg, OnnxExportOptions? options = null) =>
        Build(stateDict, cfg, options).Save(path);

    internal static ModelProto Build(IReadOnlyDictionary<string, Tensor> sd, ModelConfig cfg, OnnxExportOptions? options = null)
    {
        var o = options ?? new OnnxExportOptions();
        int maxStride = cfg.Strides.Max();
        if (o.ImgSize <= 0 || o.ImgSize % maxStride != 0)
            throw new ArgumentException($"--img {o.ImgSize} must be a positive multiple of the largest stride {maxStride}.");
        if (o.Opset < 15) throw new ArgumentException($"opset {o.Opset} is too old: this exporter needs at least 15.");
        var ftype = o.Half ? OnnxDataType.Float16 : OnnxDataType.Float;
        var g = new OnnxGraphBuilder("main_graph", ftype);

        object batch = o.Dynamic ? "batch" : 1L, height = o.Dynamic ? "height" : (long)o.ImgSize, width = o.Dynamic ? "width" : (long)o.ImgSize;
        var x = g.Input("images", ftype, batch, Architecture.ImageChannels, height, width);
        var output = new YoloGraphWriter(g, sd, cfg, o).Write(x);
        g.Output(output, ftype, batch, o.Dynamic ? "anchors" : (long)AnchorCount(cfg, o.ImgSize), (long)cfg.NumOutputs);

        var meta = new List<KeyValuePair<string, string>>
        {
            new("stride", maxStride.ToString(CultureInfo.InvariantCulture)),
            new("names", PythonNamesRepr(cfg.Names)),
        };
        return g.Build(o.Opset, meta, $"{cfg.ModelName} nc={cfg.Nc} exported by yolo-distill");
    }

    /// <summary>Rows of output0 for a square image: na * (img/s)^2 summed over levels (25200 at 640).</summary>
    public static int AnchorCount(ModelConfig cfg, int img) => cfg.Strides.Sum(s => cfg.NumAnchors * (img / s) * (img / s));

    /// <summary>str() of the Python dict {0: 'person', ...} as Ultralytics stores it in the ONNX metadata.</summary>
    public static string PythonNamesRepr(IReadOnlyList<string> names)
    {
        var sb = new StringBuilder("{");
        for (int i = 0; i < names.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(i.ToString(CultureInfo.InvariantCulture)).Append(": ").Append(PythonStrRepr(names[i]));
        }
        return sb.Append('}').ToString();
    }

    /// <summary>Python's repr of a str: single quotes unless the text holds a single quote and no double quote.</summary>
    static string PythonStrRepr(string s)
    {
        char q = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var sb = new StringBuilder().Append(q);
        foreach (var c in s)
        {
            if (c == q || c == '\\') sb.Append('\\').Append(c);
            else if (c == '\n') sb.Append("\\n");
            else if (c == '\t') sb.Append("\\t");
            else sb.Append(c);
        }
        return sb.Append(q).ToString();
    }
}
