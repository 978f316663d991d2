using TorchSharp;
using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Distillation;

/// <summary>Which feature levels a ground-truth box builds imitation regions on.</summary>
public enum LevelAssignment
{
    /// <summary>Every level (the paper applied to one feature map; here a 15 px box also lights P5 cells of 32 px).</summary>
    All,
    /// <summary>
    /// The levels where the detector learns the box: those with an anchor whose width and height ratios to the box are
    /// within the run's anchor_t (hyp, 4 by default), as build_targets matches, or the best-IoU level when no anchor matches (the FGFI author's
    /// advice for FPN detectors: each level imitates around the boxes assigned to it).
    /// </summary>
    Matched,
    /// <summary>Only the level whose anchors overlap the box best.</summary>
    Best,
}

/// <summary>
/// FGFI imitation regions (Wang et al., CVPR 2019): for every ground-truth box g the IoU with every anchor of a
/// level is computed, M_g is its maximum, and a feature cell is "near an object" when any of its anchors has
/// IoU &gt; ψ·M_g. The mask of an image is the union over its boxes; an image without boxes has an empty mask.
/// Everything runs batched on the device (one (n_boxes, H·W·na) IoU per level, then an index_add union into the
/// images), so the cost does not grow with host loops over boxes or images.
/// </summary>
/// <remarks>
/// The targets are the loader's (image_index, class, cx, cy, w, h) normalised by the input width/height, i.e. boxes
/// in the augmented input frame. Crowd boxes never reach them (the loader drops iscrowd annotations, as
/// Ultralytics' COCO conversion does), so every target row takes part.
/// </remarks>
public static class ImitationMask
{
    /// <summary>FGFI's default threshold factor ψ.</summary>
    public const double DefaultPsi = 0.5;

    /// <summary>
    /// hyp.scratch-low anchor_t (Hyp's default): the largest width or height ratio between a box and an anchor that
    /// build_targets matches. Used when the caller has no run hyp (the masks command, benchmarks).
    /// </summary>
    public const double AnchorT = 4.0;

    /// <summary>
    /// Masks for a batch whose input is <paramref name="inputHeight"/>×<paramref name="inputWidth"/>; the feature map of
    /// level i is taken as ceil(input / stride_i) (YOLOv5 inputs are multiples of 32, where this is exact).
    /// </summary>
    /// <returns>One bool tensor (B, H_i, W_i) per level, on <paramref name="device"/>.</returns>
    /// <remarks>anchorT is the run's hyp anchor_t, for <see cref="LevelAssignment.Matched"/>: the same box-anchor
    /// matching as the detection loss that trains the student.</remarks>
    public static Tensor[] Build(Tensor targets, int batchSize, int inputHeight, int inputWidth, ModelConfig cfg,
        double psi = DefaultPsi, Device? device = null, LevelAssignment levels = LevelAssignment.All, double anchorT = AnchorT)
    {
        var sizes = cfg.Strides
            .Select(s => ((long)Math.Ceiling(inputHeight / (double)s), (long)Math.Ceiling(inputWidth / (double)s)))
            .ToArray();
        return Build(targets, batchSize, inputHeight, inputWidth, sizes, cfg.Strides, cfg.AnchorsPx, psi, device, levels, anchorT);
    }

    /// <summary>Masks for explicit feature-map sizes (e.g. taken from the features themselves).</summary>
    public static Tensor[] Build(Tensor targets, int batchSize, int inputHeight, int inputWidth,
        IReadOnlyList<(long H, long W)> featureSizes, IReadOnlyList<int> strides, IReadOnlyList<float[]> anchorsPx,
        double psi = DefaultPsi, Device? device = null, LevelAssignment levels = LevelAssignment.All, double anchorT = AnchorT)
    {
        if (targets.dim() != 2 || targets.shape[1] != 6)
            throw new ArgumentException($"Targets must be (n, 6) = image_index, class, cx, cy, w, h; got ({string.Join(", ", targets.shape)}).");
        if (featureSizes.Count != strides.Count || strides.Count != anchorsPx.Count)
            throw new ArgumentException($"{featureSizes.Count} feature sizes, {strides.Count} strides and {anchorsPx.Count} anchor rows do not describe the same levels.");
        if (psi is < 0 or > 1) throw new ArgumentException($"psi must lie in [0, 1]; got {psi}.");
        device ??= targets.device;

        var masks = new Tensor[strides.Count];
        using var scope = NewDisposeScope();
        var t = targets.to(float32).to(device);
        var imageIndex = t[.., 0].to(int64);
        var gt = BoxesXyxyPixels(t, inputHeight, inputWidth);
        long n = gt.shape[0];
        var on = new Tensor[strides.Count];
        var best = new Tensor[strides.Count];
        for (int i = 0; i < strides.Count; i++)
        {
            var (h, w) = featureSizes[i];
            (on[i], best[i]) = n == 0
                ? (zeros(0, h, w, dtype: @bool, device: device), zeros(0, dtype: float32, device: device))
                : LevelOn(gt, h, w, strides[i], anchorsPx[i], psi, device);
        }
        var use = n == 0 ? null : BoxLevels(levels, gt, best, anchorsPx, anchorT, device);   // (n, levels) or null = all
        for (int i = 0; i < strides.Count; i++)
        {
            var (h, w) = featureSizes[i];
            var boxOn = use is null ? on[i] : on[i] & use[.., i].view(-1, 1, 1);
            masks[i] = scope.MoveToOuter(Union(boxOn, imageIndex, batchSize, h, w, device));
        }
        return masks;
    }

    /// <summary>Number of "on" cells over all levels and images: FGFI's N_pos.</summary>
    public static Tensor CountOn(IEnumerable<Tensor> masks)
    {
        Tensor? total = null;
        foreach (var m in masks)
        {
            var c = m.sum(type: float32);
            total = total is null ? c : total.add_(c);
        }
        return total ?? tensor(0f);
    }

    static Tensor BoxesXyxyPixels(Tensor t, int inputHeight, int inputWidth)
    {
        var cx = t[.., 2] * inputWidth;
        var cy = t[.., 3] * inputHeight;
        var hw = t[.., 4] * (inputWidth / 2.0);
        var hh = t[.., 5] * (inputHeight / 2.0);
        return stack([cx - hw, cy - hh, cx + hw, cy + hh], 1);
    }

    /// <summary>
    /// Which cells of a level are on for each box, (n, H, W). Anchors sit on a regular grid and boxes are axis-aligned,
    /// so the overlap factorises: width overlap iw depends on (box, anchor, x) only and height overlap ih on
    /// (box, anchor, y). Two consequences keep the work small:
    /// M_g needs no grid at all (IoU grows with the intersection, whose maximum over the grid is max ih · max iw), and
    /// IoU &gt; t (t = ψ·M_g) is the same as I·(1 + t) &gt; t·(area_g + area_a), a threshold on the outer product
    /// ih ⊗ iw per anchor — one compare over (n, na, H, W).
    /// </summary>
    /// <returns>The (n, H, W) cells each box marks, and M_g, the box's best anchor IoU on this level, (n).</returns>
    internal static (Tensor On, Tensor Best) LevelOn(Tensor gt, long h, long w, int stride, float[] anchorsPx, double psi, Device device)
    {
        int na = anchorsPx.Length / 2;
        long n = gt.shape[0];
        var wh = tensor(anchorsPx, float32).to(device).view(na, 2);
        var aw = wh[.., 0].view(1, na, 1);
        var ah = wh[.., 1].view(1, na, 1);
        var xs = ((arange(w, float32, device) + 0.5f) * stride).view(1, 1, w);
        var ys = ((arange(h, float32, device) + 0.5f) * stride).view(1, 1, h);
        var bx1 = gt[.., 0].view(-1, 1, 1); var by1 = gt[.., 1].view(-1, 1, 1);
        var bx2 = gt[.., 2].view(-1, 1, 1); var by2 = gt[.., 3].view(-1, 1, 1);
        var iw = (minimum(bx2, xs + aw / 2) - maximum(bx1, xs - aw / 2)).clamp_(min: 0);   // (n, na, W)
        var ih = (minimum(by2, ys + ah / 2) - maximum(by1, ys - ah / 2)).clamp_(min: 0);   // (n, na, H)
        var areaSum = ((bx2 - bx1) * (by2 - by1)).view(n, 1) + (aw * ah).view(1, na);        // (n, na)
        var bestInter = ih.amax([2]) * iw.amax([2]);                                          // (n, na)
        var best = (bestInter / (areaSum - bestInter).clamp_(min: 1e-9)).amax([1], keepdim: true); // M_g, (n, 1)
        var t = best * psi;
        var threshold = t * areaSum / (t + 1);                                                // (n, na)
        // ih·iw > threshold ⇔ iw > threshold / ih, compared straight into a bool (n, na, H, W): a quarter of the memory
        // of a float product. ih = 0 gives +inf or NaN, both false; strictly greater, as in the FGFI reference code,
        // and a degenerate box (M_g = 0) marks nothing (then every anchor has ih ≡ 0 or iw ≡ 0).
        var perRow = (threshold.unsqueeze(2) / ih).unsqueeze(3);                             // (n, na, H, 1)
        return (iw.unsqueeze(2).gt(perRow).any(1), best.view(-1));                          // (n, H, W), (n)
    }

    /// <summary>Which levels each box may mark, (n, levels) bool, or null when all of them may.</summary>
    static Tensor? BoxLevels(LevelAssignment levels, Tensor gt, Tensor[] best, IReadOnlyList<float[]> anchorsPx, double anchorT, Device device)
    {
        if (levels == LevelAssignment.All) return null;
        var bestIou = stack(best, 1);                                                        // (n, L)
        var top = nn.functional.one_hot(bestIou.argmax(1), best.Length).to(@bool);             // (n, L)
        if (levels == LevelAssignment.Best) return top;
        var bw = (gt[.., 2] - gt[.., 0]).view(-1, 1);
        var bh = (gt[.., 3] - gt[.., 1]).view(-1, 1);
        var matched = new Tensor[anchorsPx.Count];
        for (int l = 0; l < anchorsPx.Count; l++)
        {
            var wh = tensor(anchorsPx[l], float32).to(device).view(-1, 2);
            var rw = bw / wh[.., 0].view(1, -1);
            var rh = bh / wh[.., 1].view(1, -1);
            // build_targets: max(r, 1/r) over width and height below anchor_t for some anchor of the level.
            matched[l] = maximum(maximum(rw, rw.reciprocal()), maximum(rh, rh.reciprocal())).lt(anchorT).any(1);
        }
        var m = stack(matched, 1);                                                           // (n, L)
        return m | (top & ~m.any(1, keepdim: true));
    }

    /// <summary>Per image, the union of its boxes' cells: (B, H, W) bool.</summary>
    static Tensor Union(Tensor boxOn, Tensor imageIndex, int batchSize, long h, long w, Device device)
    {
        var union = zeros(batchSize, h * w, dtype: float32, device: device);
        long n = boxOn.shape[0];
        if (n > 0) union.index_add_(0, imageIndex, boxOn.view(n, h * w).to(float32), 1);
        return union.gt(0).view(batchSize, h, w);
    }
}
