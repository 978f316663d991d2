using static TorchSharp.torch;

namespace YoloDistill.Detector.Common;

/// <summary>Which IoU variant <see cref="BoxOps.BboxIou"/> returns (Ultralytics utils/metrics.py bbox_iou flags).</summary>
public enum IouKind { IoU, GIoU, DIoU, CIoU }

/// <summary>
/// Box conversions and overlaps on tensors whose last dimension holds the 4 coordinates, written to give the same
/// float32 results as Ultralytics v7.0 (utils/general.py, utils/metrics.py) and torchvision.ops.box_iou.
/// </summary>
public static class BoxOps
{
    /// <summary>Ultralytics' bbox_iou epsilon.</summary>
    public const double Eps = 1e-7;

    /// <summary>(cx, cy, w, h) to (x1, y1, x2, y2); extra trailing columns beyond 4 are not allowed.</summary>
    public static Tensor XywhToXyxy(Tensor x)
    {
        using var scope = NewDisposeScope();
        var c = x.split(new long[] { 1, 1, 1, 1 }, -1);
        var hw = c[2] / 2;
        var hh = c[3] / 2;
        return scope.MoveToOuter(cat(new[] { c[0] - hw, c[1] - hh, c[0] + hw, c[1] + hh }, -1));
    }

    /// <summary>(x1, y1, x2, y2) to (cx, cy, w, h).</summary>
    public static Tensor XyxyToXywh(Tensor x)
    {
        using var scope = NewDisposeScope();
        var c = x.split(new long[] { 1, 1, 1, 1 }, -1);
        return scope.MoveToOuter(cat(new[] { (c[0] + c[2]) / 2, (c[1] + c[3]) / 2, c[2] - c[0], c[3] - c[1] }, -1));
    }

    /// <summary>Areas of xyxy boxes (..., 4) -> (...).</summary>
    public static Tensor BoxArea(Tensor xyxy)
    {
        using var scope = NewDisposeScope();
        var c = xyxy.unbind(-1);
        return scope.MoveToOuter((c[2] - c[0]) * (c[3] - c[1]));
    }

    /// <summary>Pairwise IoU matrix (N, M) of xyxy boxes a (N, 4) and b (M, 4), as torchvision.ops.box_iou computes it.</summary>
    public static Tensor BoxIou(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        // Column vectors against rows: every intermediate is a contiguous (N, M) matrix, with the same float ops as torchvision.
        var p = a.unsqueeze(2).unbind(1);      // 4 x (N, 1)
        var q = b.unbind(1);                   // 4 x (M)
        var w = (minimum(p[2], q[2]) - maximum(p[0], q[0])).clamp_min_(0);
        var h = (minimum(p[3], q[3]) - maximum(p[1], q[1])).clamp_min_(0);
        var inter = w * h;
        var area1 = (p[2] - p[0]) * (p[3] - p[1]);
        var area2 = (q[2] - q[0]) * (q[3] - q[1]);
        var union = area1 + area2 - inter;
        return scope.MoveToOuter(inter / union);
    }

    /// <summary>
    /// Ultralytics bbox_iou: element-wise (broadcast) IoU of box1 (..., 4) against box2 (..., 4), returned with a trailing
    /// dimension of 1. xywh selects the box format; CIoU's alpha is computed without gradient, as in v7.0.
    /// </summary>
    public static Tensor BboxIou(Tensor box1, Tensor box2, bool xywh = true, IouKind kind = IouKind.IoU, double eps = Eps)
    {
        using var scope = NewDisposeScope();
        Tensor b1x1, b1y1, b1x2, b1y2, b2x1, b2y1, b2x2, b2y2, w1, h1, w2, h2;
        var sizes = new long[] { 1, 1, 1, 1 };
        if (xywh)
        {
            var p = box1.split(sizes, -1);
            var q = box2.split(sizes, -1);
            (w1, h1, w2, h2) = (p[2], p[3], q[2], q[3]);
            var w1h = w1 / 2; var h1h = h1 / 2; var w2h = w2 / 2; var h2h = h2 / 2;
            (b1x1, b1x2, b1y1, b1y2) = (p[0] - w1h, p[0] + w1h, p[1] - h1h, p[1] + h1h);
            (b2x1, b2x2, b2y1, b2y2) = (q[0] - w2h, q[0] + w2h, q[1] - h2h, q[1] + h2h);
        }
        else
        {
            var p = box1.split(sizes, -1);
            var q = box2.split(sizes, -1);
            (b1x1, b1y1, b1x2, b1y2) = (p[0], p[1], p[2], p[3]);
            (b2x1, b2y1, b2x2, b2y2) = (q[0], q[1], q[2], q[3]);
            (w1, h1) = (b1x2 - b1x1, b1y2 - b1y1 + eps);
            (w2, h2) = (b2x2 - b2x1, b2y2 - b2y1 + eps);
        }

        var inter = (minimum(b1x2, b2x2) - maximum(b1x1, b2x1)).clamp_min(0) *
                    (minimum(b1y2, b2y2) - maximum(b1y1, b2y1)).clamp_min(0);
        var union = w1 * h1 + w2 * h2 - inter + eps;
        var iou = inter / union;
        if (kind == IouKind.IoU) return scope.MoveToOuter(iou);

        var cw = maximum(b1x2, b2x2) - minimum(b1x1, b2x1);   // smallest enclosing box
        var ch = maximum(b1y2, b2y2) - minimum(b1y1, b2y1);
        if (kind == IouKind.GIoU)
        {
            var cArea = cw * ch + eps;
            return scope.MoveToOuter(iou - (cArea - union) / cArea);
        }

        var c2 = cw.pow(2) + ch.pow(2) + eps;                  // enclosing diagonal squared
        var rho2 = ((b2x1 + b2x2 - b1x1 - b1x2).pow(2) + (b2y1 + b2y2 - b1y1 - b1y2).pow(2)) / 4;
        if (kind == IouKind.DIoU) return scope.MoveToOuter(iou - rho2 / c2);

        var v = (4 / (Math.PI * Math.PI)) * (atan(w2 / h2) - atan(w1 / h1)).pow(2);
        Tensor alpha;
        using (no_grad())
            // A constant weight in Ultralytics: no gradient through it. For two identical boxes iou can round to 1 + eps,
            // and Ultralytics divides 0 by 0 (NaN, which then reaches every gradient); the clamp changes nothing else.
            alpha = v / (v - iou + (1 + eps)).clamp_min(eps);
        return scope.MoveToOuter(iou - (rho2 / c2 + v * alpha));
    }

    /// <summary>Clamps xyxy boxes (first 4 columns of (n, k)) to an image of height h and width w; returns a new tensor.</summary>
    public static Tensor ClipBoxes(Tensor boxes, double height, double width)
    {
        using var scope = NewDisposeScope();
        var c = boxes.split(new long[] { 1, 1, 1, 1, boxes.shape[^1] - 4 }, -1);
        var x1 = c[0].clamp(0, width);
        var y1 = c[1].clamp(0, height);
        var x2 = c[2].clamp(0, width);
        var y2 = c[3].clamp(0, height);
        return scope.MoveToOuter(cat(new[] { x1, y1, x2, y2, c[4] }, -1));
    }

    /// <summary>
    /// Ultralytics scale_boxes: maps xyxy boxes (first 4 columns) from the network input frame (inH x inW) back to the
    /// original image (h0 x w0): subtract the padding, divide by the gain, clip. Without ratio/pad, they are derived as
    /// a centred letterbox (gain = min(inH/h0, inW/w0)). Returns a new tensor; other columns are kept.
    /// </summary>
    public static Tensor ScaleBoxes(Tensor boxes, int inH, int inW, int h0, int w0, double? gain = null, double? padW = null, double? padH = null)
    {
        double g = gain ?? Math.Min((double)inH / h0, (double)inW / w0);
        double pw = padW ?? (inW - w0 * g) / 2;
        double ph = padH ?? (inH - h0 * g) / 2;
        using var scope = NewDisposeScope();
        var c = boxes.split(new long[] { 1, 1, 1, 1, boxes.shape[^1] - 4 }, -1);
        var scaled = cat(new[] { (c[0] - pw) / g, (c[1] - ph) / g, (c[2] - pw) / g, (c[3] - ph) / g, c[4] }, -1);
        return scope.MoveToOuter(ClipBoxes(scaled, h0, w0));
    }

    /// <summary>ScaleBoxes with the letterbox the loader recorded (val.py passes ratio_pad = shapes[si][1]: gain = ratio h).</summary>
    public static Tensor ScaleBoxes(Tensor boxes, int inH, int inW, ImageShape shape) =>
        ScaleBoxes(boxes, inH, inW, shape.OriginalHeight, shape.OriginalWidth, shape.RatioH, shape.PadW, shape.PadH);
}
