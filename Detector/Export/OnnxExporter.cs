using System.Globalization;
using System.Text;
using TorchSharp;
using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Export;

/// <summary>
/// Writes a YOLOv5 (v6/v7 architecture) detector as ONNX the way Ultralytics export.py does: input `images`
/// (b,3,h,w), output `output0` (b, N, 5+nc) with Detect's decoding inside (sigmoid, xy = (2s - 0.5 + grid) * stride,
/// wh = (2s)^2 * anchor), Conv+BN folded, SiLU as Sigmoid*Mul, and metadata `stride` and `names` as Python reprs.
/// The graph is built from the state dict (Ultralytics keys), so it does not depend on how the model classes
/// are written; a model that has been fused (conv.bias present, no bn) is exported as is.
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
        var w = new Writer(g, sd, o, cfg);

        object batch = o.Dynamic ? "batch" : 1L, height = o.Dynamic ? "height" : (long)o.ImgSize, width = o.Dynamic ? "width" : (long)o.ImgSize;
        var x = g.Input("images", ftype, batch, 3L, height, width);
        var output = w.YoloV5(x);
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

    /// <summary>Emits the YOLOv5 v6 graph (yolov5*.yaml backbone and head) from state-dict weights.</summary>
    sealed class Writer(OnnxGraphBuilder g, IReadOnlyDictionary<string, Tensor> sd, OnnxExportOptions o, ModelConfig cfg)
    {
        Tensor Weight(string key) => sd.TryGetValue(key, out var t)
            ? t : throw new InvalidDataException($"The weights lack '{key}', which a YOLOv5 {cfg.ModelName} model needs.");

        public string YoloV5(string images)
        {
            var x0 = Conv("model.0", images, stride: 2, pad: 2);
            var x1 = Conv("model.1", x0, stride: 2);
            var x2 = C3("model.2", x1, shortcut: true);
            var x3 = Conv("model.3", x2, stride: 2);
            var x4 = C3("model.4", x3, shortcut: true);
            var x5 = Conv("model.5", x4, stride: 2);
            var x6 = C3("model.6", x5, shortcut: true);
            var x7 = Conv("model.7", x6, stride: 2);
            var x8 = C3("model.8", x7, shortcut: true);
            var x9 = Sppf("model.9", x8);
            var x10 = Conv("model.10", x9);
            var x12 = Concat([Upsample(x10), x6], 1);
            var x13 = C3("model.13", x12, shortcut: false);
            var x14 = Conv("model.14", x13);
            var x16 = Concat([Upsample(x14), x4], 1);
            var x17 = C3("model.17", x16, shortcut: false);
            var x18 = Conv("model.18", x17, stride: 2);
            var x20 = C3("model.20", Concat([x18, x14], 1), shortcut: false);
            var x21 = Conv("model.21", x20, stride: 2);
            var x23 = C3("model.23", Concat([x21, x10], 1), shortcut: false);
            return Detect("model.24", [x17, x20, x23]);
        }

        /// <summary>Ultralytics Conv: conv (no bias) + BN folded into weight and bias (<see cref="BatchNormFolding"/>), then SiLU.</summary>
        string Conv(string p, string x, int stride = 1, int? pad = null)
        {
            using var scope = NewDisposeScope();
            var (w, b) = sd.ContainsKey($"{p}.bn.weight")
                ? BatchNormFolding.Fold(Weight($"{p}.conv.weight"), Weight($"{p}.bn.weight"), Weight($"{p}.bn.bias"),
                    Weight($"{p}.bn.running_mean"), Weight($"{p}.bn.running_var"), ScalarType.Float64)
                : (Weight($"{p}.conv.weight"), Weight($"{p}.conv.bias"));
            int k = (int)w.shape[2];
            int pd = pad ?? k / 2;
            var wName = g.Initializer($"{p}.conv.weight", w);
            var bName = g.Initializer($"{p}.conv.bias", b);
            var y = g.Node("Conv", [x, wName, bName], $"{p}/conv",
                AttributeProto.Of("kernel_shape", k, k), AttributeProto.Of("pads", pd, pd, pd, pd),
                AttributeProto.Of("strides", stride, stride), AttributeProto.Of("dilations", 1L, 1L), AttributeProto.Of("group", 1L));
            var s = g.Node("Sigmoid", [y], $"{p}/act/sigmoid");
            return g.Node("Mul", [y, s], $"{p}/act/mul");
        }

        string C3(string p, string x, bool shortcut)
        {
            var a = Conv($"{p}.cv1", x);
            for (int i = 0; sd.ContainsKey($"{p}.m.{i}.cv1.conv.weight"); i++)
            {
                var h = Conv($"{p}.m.{i}.cv2", Conv($"{p}.m.{i}.cv1", a));
                a = shortcut ? g.Node("Add", [a, h], $"{p}.m.{i}/add") : h;
            }
            var b = Conv($"{p}.cv2", x);
            return Conv($"{p}.cv3", Concat([a, b], 1));
        }

        /// <summary>SPPF: three chained 5x5 max-pools (equivalent to SPP 5, 9, 13), concatenated with their input.</summary>
        string Sppf(string p, string x)
        {
            var a = Conv($"{p}.cv1", x);
            var y1 = MaxPool(a);
            var y2 = MaxPool(y1);
            var y3 = MaxPool(y2);
            return Conv($"{p}.cv2", Concat([a, y1, y2, y3], 1));
        }

        string MaxPool(string x) => g.Node("MaxPool", [x], "maxpool",
            AttributeProto.Of("kernel_shape", 5L, 5L), AttributeProto.Of("pads", 2L, 2L, 2L, 2L), AttributeProto.Of("strides", 1L, 1L),
            AttributeProto.Of("ceil_mode", 0L));

        /// <summary>nn.Upsample(scale_factor=2, mode='nearest'), which is Resize asymmetric + floor.</summary>
        string Upsample(string x) => g.Node("Resize", [x, "", g.Float32s("upsample_scales", [1f, 1f, 2f, 2f])], "upsample",
            AttributeProto.Of("mode", "nearest"), AttributeProto.Of("coordinate_transformation_mode", "asymmetric"),
            AttributeProto.Of("nearest_mode", "floor"));

        string Concat(string[] xs, long axis) => g.Node("Concat", xs, "concat", AttributeProto.Of("axis", axis));

        /// <summary>
        /// Detect in export mode: per level conv -> (b, na, no, ny*nx) -> (b, na, ny*nx, no), decoded, flattened to
        /// (b, na*ny*nx, no) in Ultralytics' (anchor, y, x) order, then concatenated over levels. The decoding is
        /// <see cref="DetectDecoding"/>'s formula as ONNX nodes; Detect.Decode is the same as tensor operations, and the two
        /// must change together.
        /// </summary>
        string Detect(string p, string[] features)
        {
            int na = cfg.NumAnchors, no = cfg.NumOutputs;
            var levels = new List<string>();
            var splitSizes = g.Int64s($"{p}/split_sizes", 2, 2, no - 4);
            var two = g.Floats($"{p}/two", [DetectDecoding.Gain]);
            for (int i = 0; i < features.Length; i++)
            {
                int stride = cfg.Strides[i];
                var wName = g.Initializer($"{p}.m.{i}.weight", Weight($"{p}.m.{i}.weight"));
                var bName = g.Initializer($"{p}.m.{i}.bias", Weight($"{p}.m.{i}.bias"));
                var y = g.Node("Conv", [features[i], wName, bName], $"{p}.m.{i}/conv",
                    AttributeProto.Of("kernel_shape", 1L, 1L), AttributeProto.Of("pads", 0L, 0L, 0L, 0L), AttributeProto.Of("strides", 1L, 1L));
                var r = g.Node("Reshape", [y, g.Int64s($"{p}.m.{i}/shape", 0, na, no, -1)], $"{p}.m.{i}/reshape");
                var t = g.Node("Transpose", [r], $"{p}.m.{i}/transpose", AttributeProto.Of("perm", 0L, 1L, 3L, 2L));
                var s = g.Node("Sigmoid", [t], $"{p}.m.{i}/sigmoid");
                var parts = g.NodeN("Split", [s, splitSizes], [$"{p}.m.{i}/xy", $"{p}.m.{i}/wh", $"{p}.m.{i}/conf"], AttributeProto.Of("axis", 3L));

                var grid = Grid(p, i, y, stride);
                var xy = g.Node("Mul", [g.Node("Add", [g.Node("Mul", [parts[0], two], "xy2"), grid], "xy_grid"),
                    g.Floats($"{p}.m.{i}/stride", [stride])], $"{p}.m.{i}/xy_px");
                var wh2 = g.Node("Mul", [parts[1], two], "wh2");
                // anchor_px in DetectDecoding's terms: the config's anchors, from which Detect's anchors buffer is made.
                var anchorGrid = g.Floats($"{p}.anchor_grid.{i}", cfg.AnchorsPx[i], na, 1, 2);
                var wh = g.Node("Mul", [g.Node("Mul", [wh2, wh2], "wh2_sq"), anchorGrid], $"{p}.m.{i}/wh_px");
                var cat = Concat([xy, wh, parts[2]], 3);
                levels.Add(g.Node("Reshape", [cat, g.Int64s($"{p}.m.{i}/out_shape", 0, -1, no)], $"{p}.m.{i}/out"));
            }
            return g.Node("Concat", [.. levels], "output0", AttributeProto.Of("axis", 1L));
        }

        /// <summary>
        /// <see cref="DetectDecoding.Grid"/> flattened to (ny*nx, 2). Fixed sizes get it as a constant; dynamic ones
        /// compute the same values from the feature map's shape (cell k -> (k mod nx, k div nx) - offset).
        /// </summary>
        string Grid(string p, int i, string featureMap, int stride)
        {
            if (!o.Dynamic)
            {
                int n = o.ImgSize / stride;
                using var cells = DetectDecoding.Grid(n, n);
                using var flat = cells.view(n * n, 2);
                return g.Initializer($"{p}.grid.{i}", flat);
            }
            var ny = g.Node("Shape", [featureMap], $"{p}.m.{i}/ny", AttributeProto.Of("start", 2L), AttributeProto.Of("end", 3L));
            var nx = g.Node("Shape", [featureMap], $"{p}.m.{i}/nx", AttributeProto.Of("start", 3L), AttributeProto.Of("end", 4L));
            var axis0 = g.Int64s($"{p}.m.{i}/axis0", 0);
            var count = g.Node("Squeeze", [g.Node("Mul", [ny, nx], "cells"), axis0], "cells_scalar");
            var k = g.Node("Range", [g.Int64Scalar("zero", 0), count, g.Int64Scalar("one", 1)], "cell_index");
            var row = g.Node("Div", [k, nx], "cell_row");
            var col = g.Node("Sub", [k, g.Node("Mul", [row, nx], "row_start")], "cell_col");
            var lastAxis = g.Int64s($"{p}.m.{i}/axis_last", -1);
            var xs = g.Node("Unsqueeze", [g.Node("Cast", [col], "col_f", AttributeProto.Of("to", (long)g.FloatType)), lastAxis], "grid_x");
            var ys = g.Node("Unsqueeze", [g.Node("Cast", [row], "row_f", AttributeProto.Of("to", (long)g.FloatType)), lastAxis], "grid_y");
            return g.Node("Sub", [Concat([xs, ys], 1), g.Floats($"{p}/half", [DetectDecoding.CellOffset])], $"{p}.grid.{i}");
        }
    }
}
