using TorchSharp;
using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Distillation;

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
    /// Masks for a batch whose input is <paramref name="inputHeight"/>×<paramref name="inputWidth"/>; the feature map of
    /// level i is taken as ceil(input / stride_i) (YOLOv5 inputs are multiples of 32, where this is exact).
    /// </summary>
    /// <returns>One bool tensor (B, H_i, W_i) per level, on <paramref name="device"/>.</returns>
    public static Tensor[] Build(Tensor targets, int batchSize, int inputHeight, int inputWidth, ModelConfig cfg,
        double psi = DefaultPsi, Device? device = null)
    {
        var sizes = cfg.Strides
            .Select(s => ((long)Math.Ceiling(inputHeight / (double)s), (long)Math.Ceiling(inputWidth / (double)s)))
            .ToArray();
        return Build(targets, batchSize, inputHeight, inputWidth, sizes, cfg.Strides, cfg.AnchorsPx, psi, device);
    }

    /// <summary>Masks for explicit feature-map sizes (e.g. taken from the features themselves).</summary>
    public static Tensor[] Build(Tensor targets, int batchSize, int inputHeight, int inputWidth,
        IReadOnlyList<(long H, long W)> featureSizes, IReadOnlyList<int> strides, IReadOnlyList<float[]> anchorsPx,
        double psi = DefaultPsi, Device? device = null)
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
        for (int i = 0; i < strides.Count; i++)
        {
            var (h, w) = featureSizes[i];
            var mask = LevelMask(gt, imageIndex, batchSize, h, w, strides[i], anchorsPx[i], psi, device);
            masks[i] = scope.MoveToOuter(mask);
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
    /// IoU of every box with every anchor of a level, (n, na, H, W). Anchors sit on a regular grid and boxes are
    /// axis-aligned, so the overlap factorises: width overlap depends on (box, anchor, x) only and height overlap on
    /// (box, anchor, y); one outer product gives the intersections, keeping the (n, na, H, W) work to a few passes.
    /// </summary>
    internal static Tensor LevelIou(Tensor gt, long h, long w, int stride, float[] anchorsPx, Device device)
    {
        int na = anchorsPx.Length / 2;
        var wh = tensor(anchorsPx, float32).to(device).view(na, 2);
        var aw = wh[.., 0].view(1, na, 1);
        var ah = wh[.., 1].view(1, na, 1);
        var xs = ((arange(w, float32, device) + 0.5f) * stride).view(1, 1, w);
        var ys = ((arange(h, float32, device) + 0.5f) * stride).view(1, 1, h);
        var bx1 = gt[.., 0].view(-1, 1, 1); var by1 = gt[.., 1].view(-1, 1, 1);
        var bx2 = gt[.., 2].view(-1, 1, 1); var by2 = gt[.., 3].view(-1, 1, 1);
        var iw = (minimum(bx2, xs + aw / 2) - maximum(bx1, xs - aw / 2)).clamp_(min: 0);   // (n, na, W)
        var ih = (minimum(by2, ys + ah / 2) - maximum(by1, ys - ah / 2)).clamp_(min: 0);   // (n, na, H)
        var inter = ih.unsqueeze(3) * iw.unsqueeze(2);                                         // (n, na, H, W)
        var areaG = ((bx2 - bx1) * (by2 - by1)).unsqueeze(3);                                  // (n, 1, 1, 1)
        var areaA = (aw * ah).unsqueeze(3);                                                    // (1, na, 1, 1)
        var union = (areaG + areaA - inter).clamp_(min: 1e-9);
        return inter.div_(union);
    }

    static Tensor LevelMask(Tensor gt, Tensor imageIndex, int batchSize, long h, long w, int stride, float[] anchorsPx,
        double psi, Device device)
    {
        var union = zeros(batchSize, h * w, dtype: float32, device: device);
        long n = gt.shape[0];
        if (n > 0)
        {
            var iou = LevelIou(gt, h, w, stride, anchorsPx, device);                 // (n, na, H, W)
            var best = iou.view(n, -1).amax([1]).view(n, 1, 1, 1);                    // M_g
            // IoU > ψ·M_g, strictly, as in the FGFI reference code; a degenerate box (M_g = 0) marks nothing.
            var on = iou.gt(best * psi).any(1).view(n, h * w);                      // (n, H·W)
            union.index_add_(0, imageIndex, on.to(float32), 1);
        }
        return union.gt(0).view(batchSize, h, w);
    }
}
