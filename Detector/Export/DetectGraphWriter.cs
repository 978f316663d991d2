using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Export;

/// <summary>
/// Detect in export mode as ONNX nodes: per level a 1x1 conv, reshaped to (b, na, ny*nx, no), decoded by
/// <see cref="DetectDecoding"/>'s formula, flattened to (b, na*ny*nx, no) in Ultralytics' (anchor, y, x) order, then
/// concatenated over levels into `output0`. The formula is written here as nodes and in Detect.Decode as tensor
/// operations; the two must change together.
/// </summary>
internal sealed class DetectGraphWriter(OnnxGraphBuilder g, ModelConfig cfg, OnnxExportOptions o)
{
    /// <summary>Writes the head `p` (model.24 for YOLOv5) over the feature maps, one per level, and returns its output.</summary>
    public string Write(string p, string[] features, Func<string, Tensor> weight)
    {
        if (features.Length != cfg.NumLevels)
            throw new InvalidOperationException($"Detect reads {features.Length} feature maps but {cfg.ModelName} has {cfg.NumLevels} strides.");
        int na = cfg.NumAnchors, no = cfg.NumOutputs;
        var levels = new List<string>();
        var splitSizes = g.Int64s($"{p}/split_sizes", 2, 2, no - 4);
        var gain = g.Floats($"{p}/two", [DetectDecoding.Gain]);
        for (int i = 0; i < features.Length; i++)
        {
            int stride = cfg.Strides[i];
            var wName = g.Initializer($"{p}.m.{i}.weight", weight($"{p}.m.{i}.weight"));
            var bName = g.Initializer($"{p}.m.{i}.bias", weight($"{p}.m.{i}.bias"));
            var y = g.Node("Conv", [features[i], wName, bName], $"{p}.m.{i}/conv",
                AttributeProto.Of("kernel_shape", 1L, 1L), AttributeProto.Of("pads", 0L, 0L, 0L, 0L), AttributeProto.Of("strides", 1L, 1L));
            var r = g.Node("Reshape", [y, g.Int64s($"{p}.m.{i}/shape", 0, na, no, -1)], $"{p}.m.{i}/reshape");
            var t = g.Node("Transpose", [r], $"{p}.m.{i}/transpose", AttributeProto.Of("perm", 0L, 1L, 3L, 2L));
            var s = g.Node("Sigmoid", [t], $"{p}.m.{i}/sigmoid");
            var parts = g.NodeN("Split", [s, splitSizes], [$"{p}.m.{i}/xy", $"{p}.m.{i}/wh", $"{p}.m.{i}/conf"], AttributeProto.Of("axis", 3L));

            // xy = (Gain * p_xy + grid) * stride
            var grid = Grid(p, i, y, stride);
            var xy = g.Node("Mul", [g.Node("Add", [g.Node("Mul", [parts[0], gain], "xy2"), grid], "xy_grid"),
                g.Floats($"{p}.m.{i}/stride", [stride])], $"{p}.m.{i}/xy_px");
            // wh = (Gain * p_wh)^2 * anchor_px, anchor_px being the config's anchors, from which Detect's anchors buffer is made.
            var wh2 = g.Node("Mul", [parts[1], gain], "wh2");
            var anchorGrid = g.Floats($"{p}.anchor_grid.{i}", cfg.AnchorsPx[i], na, 1, 2);
            var wh = g.Node("Mul", [g.Node("Mul", [wh2, wh2], "wh2_sq"), anchorGrid], $"{p}.m.{i}/wh_px");
            var cat = g.Node("Concat", [xy, wh, parts[2]], "concat", AttributeProto.Of("axis", 3L));
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
        var cellsXy = g.Node("Concat", [xs, ys], "concat", AttributeProto.Of("axis", 1L));
        return g.Node("Sub", [cellsXy, g.Floats($"{p}/half", [DetectDecoding.CellOffset])], $"{p}.grid.{i}");
    }
}
