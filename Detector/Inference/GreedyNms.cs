using YoloDistill.Detector.Common;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Inference;

/// <summary>
/// Exact greedy NMS (torchvision.ops.nms semantics: visit boxes by descending score, keep a box unless a kept box
/// overlaps it with IoU &gt; threshold) without a per-box loop. Candidates are processed in score-ordered blocks: a block
/// is first cleared against the boxes kept so far, then its own greedy result is the unique fixed point of
/// keep = alive &amp; !(keep · M), M = strictly upper triangular (IoU &gt; thr), which Jacobi iteration reaches in as many
/// matrix-vector steps as the longest suppression chain. Processing stops once enough boxes are kept.
/// </summary>
public static class GreedyNms
{
    const int Block = 512;

    /// <summary>Indices (int64) of kept boxes, in order, for xyxy boxes already sorted by descending score; at most limit.</summary>
    public static Tensor SortedKeep(Tensor boxes, double iouThres, long limit)
    {
        using var scope = NewDisposeScope();
        long n = boxes.shape[0];
        var device = boxes.device;
        if (n == 0 || limit <= 0) return scope.MoveToOuter(zeros(0, dtype: ScalarType.Int64, device: device));

        var keptIdx = new List<Tensor>();
        Tensor? keptBoxes = null;
        long keptCount = 0;
        for (long start = 0; start < n && keptCount < limit; start += Block)
        {
            long len = Math.Min(Block, n - start);
            var blk = boxes.narrow(0, start, len);
            var alive = keptBoxes is null
                ? ones(len, dtype: ScalarType.Bool, device: device)
                : Above(BoxOps.BoxIou(keptBoxes, blk), iouThres).any(0).logical_not();
            var m = Above(BoxOps.BoxIou(blk, blk), iouThres).triu(1).to_type(ScalarType.Float32);

            var keep = alive;
            for (long it = 0; it <= len; it++)
            {
                var suppressed = matmul(keep.to_type(ScalarType.Float32).unsqueeze(0), m).squeeze(0) > 0;
                var next = alive & suppressed.logical_not();
                if (!next.ne(keep).any().item<bool>()) break;
                keep = next;
            }

            var idx = keep.nonzero().view(-1);
            keptCount += idx.shape[0];
            keptIdx.Add(idx + start);
            var kb = blk.index_select(0, idx);
            keptBoxes = keptBoxes is null ? kb : cat(new[] { keptBoxes, kb }, 0);
        }

        var all = cat(keptIdx, 0);
        if (all.shape[0] > limit) all = all.narrow(0, 0, limit);
        return scope.MoveToOuter(all);
    }

    /// <summary>iou &gt; thr evaluated as torchvision does: the IoU in its own precision against the double threshold.</summary>
    internal static Tensor Above(Tensor iou, double thr)
    {
        if (iou.dtype != ScalarType.Float32) return iou > thr;
        float tf = (float)thr;
        // The nearest float to thr may lie above it; then "x > thr" for a float x means x >= that float.
        return (double)tf > thr ? iou >= tf : iou > tf;
    }
}
