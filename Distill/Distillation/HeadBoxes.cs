using YoloDistill.Detector.Common;
using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Distillation;

/// <summary>
/// The boxes of two Detect heads that share levels and anchors, compared cell by cell and anchor by anchor: the output
/// distillation losses pull the student's box at a cell towards the teacher's box at the same cell.
/// </summary>
/// <remarks>
/// Boxes are decoded as Detect does (<see cref="DetectDecoding"/>: xy = Gain·σ − CellOffset, wh = (Gain·σ)²·anchor), in
/// grid units and without the cell index, as ComputeLoss decodes them: both boxes of a pair sit in the same cell of
/// the same level, and IoU and CIoU do not change when both boxes are shifted or scaled together.
/// </remarks>
public static class HeadBoxes
{
    /// <summary>The anchors of every level in grid units, shaped (1, na, 1, 1, 2) to broadcast over a raw output.</summary>
    public static Tensor[] AnchorsInGridUnits(ModelConfig config, Device device) =>
        config.AnchorsPx.Select((a, i) => (tensor(a, device: device) / config.Strides[i]).view(1, -1, 1, 1, 2)).ToArray();

    /// <summary>
    /// (..., 4) boxes (x, y, w, h) in grid units of a raw Detect output (bs, na, ny, nx, 5 + nc) before the sigmoid,
    /// with <paramref name="anchors"/> of that level in grid units broadcastable to (..., 2).
    /// </summary>
    public static Tensor Decode(Tensor raw, Tensor anchors)
    {
        using var scope = NewDisposeScope();
        var xy = raw[TensorIndex.Ellipsis, TensorIndex.Slice(0, 2)].sigmoid() * DetectDecoding.Gain - DetectDecoding.CellOffset;
        var wh = (raw[TensorIndex.Ellipsis, TensorIndex.Slice(2, 4)].sigmoid() * DetectDecoding.Gain).square() * anchors;
        return scope.MoveToOuter(cat([xy, wh], -1));
    }

    /// <summary>
    /// CIoU (Ultralytics' bbox_iou, <see cref="BoxOps.BboxIou"/>) of the student's and the teacher's box at every cell and
    /// anchor of one level: (bs, na, ny, nx), in the student's graph, the teacher detached.
    /// </summary>
    public static Tensor Ciou(Tensor studentRaw, Tensor teacherRaw, Tensor anchors)
    {
        using var scope = NewDisposeScope();
        var s = Decode(studentRaw, anchors);
        var t = Decode(teacherRaw.detach(), anchors);
        return scope.MoveToOuter(BoxOps.BboxIou(s, t, xywh: true, kind: IouKind.CIoU).squeeze(-1));
    }
}
