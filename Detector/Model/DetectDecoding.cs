using static TorchSharp.torch;

namespace YoloDistill.Detector.Model;

/// <summary>
/// How Detect's raw outputs become boxes (Ultralytics models/yolo.py Detect.forward in eval and export mode). For level i
/// with stride s_i, a cell at column cx and row cy, and p = sigmoid(raw) over (x, y, w, h, obj, classes...):
/// <code>
///   xy  = (Gain * p_xy - CellOffset + (cx, cy)) * s_i = (Gain * p_xy + grid) * s_i
///   wh  = (Gain * p_wh)^2 * anchor_px
///   obj, classes = p
/// </code>
/// grid is <see cref="Grid"/> (the cell indices with the offset already taken off); anchor_px is the level's anchors in
/// pixels, Detect's `anchors` buffer (grid units, as Ultralytics stores it) times s_i, which is the config's AnchorsPx.
/// Rows come out ordered level, anchor, y, x.
/// <para>
/// The formula is necessarily written twice, once per form, and the two must change together: as tensor operations in
/// <see cref="Detect.Decode"/>, and as ONNX nodes in Export/DetectGraphWriter.cs. What both
/// can share lives here: the constants and the grid.
/// </para>
/// </summary>
public static class DetectDecoding
{
    /// <summary>
    /// The sigmoid's gain: 2p spans 0..2, so a centre can sit up to half a cell beyond its own cell and a box can be
    /// up to four times its anchor.
    /// </summary>
    public const float Gain = 2f;

    /// <summary>Taken off each cell index so that p = 0.5 (a raw output of 0) puts the centre in the middle of the cell.</summary>
    public const float CellOffset = 0.5f;

    /// <summary>
    /// The grid for an ny x nx feature map as (ny, nx, 2) float32: each cell's (x, y) minus <see cref="CellOffset"/>,
    /// rows y-major. The exporter writes it as a constant for fixed sizes; dynamic exports compute the same values
    /// with ONNX nodes.
    /// </summary>
    public static Tensor Grid(long ny, long nx, Device? device = null)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var ys = arange(ny, dtype: ScalarType.Float32, device: device);
        var xs = arange(nx, dtype: ScalarType.Float32, device: device);
        var mesh = meshgrid([ys, xs], indexing: "ij");
        return scope.MoveToOuter(stack([mesh[1], mesh[0]], 2).sub_(CellOffset));
    }
}
