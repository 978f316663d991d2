using YoloDistill.Detector.Data;

namespace YoloDistill.Detector.Training;

/// <summary>
/// Ultralytics v7.0 check_anchors: measure how well the model's anchors fit the training boxes at the training size;
/// when the best possible recall is not above 0.98, evolve new anchors (<see cref="AnchorEvolution"/>) and take them
/// if their BPR is higher, in stride order. Unlike check_anchors the boxes are measured without its random 0.9-1.1
/// scale per image, so the decision repeats exactly for a dataset (and equals the reference fixture's numbers).
/// </summary>
public static class AutoAnchor
{
    /// <param name="sizes">The training split's boxes.</param>
    /// <param name="anchorsPx">The model's anchors, one row per level (pixels).</param>
    /// <param name="strides">The levels' strides.</param>
    /// <param name="imgSize">Training size (long side).</param>
    /// <param name="options">anchor_t, the BPR threshold and evolution's settings.</param>
    /// <param name="noEvolveReason">Why the anchors must stay as they are (e.g. KD against a teacher); the fit is still measured.</param>
    public static AutoAnchorReport Check(LabelSizes sizes, float[][] anchorsPx, int[] strides, int imgSize, AutoAnchorOptions options, string? noEvolveReason = null)
    {
        options.Validate();
        if (sizes.Count == 0) throw new InvalidDataException("AutoAnchor: the training split has no boxes to fit anchors to.");
        var wh = sizes.PixelsAt(imgSize);
        var flat = anchorsPx.SelectMany(r => r).ToArray();
        var before = AnchorFit.Measure(wh, flat, options.AnchorT);
        if (before.Bpr > options.BprThreshold)
            return new AutoAnchorReport(imgSize, options.AnchorT, before, null, false, anchorsPx, null);
        string? skip = noEvolveReason ?? (options.Evolve ? null : "evolution is off");
        if (skip is not null)
            return new AutoAnchorReport(imgSize, options.AnchorT, before, null, false, anchorsPx, skip);

        int perLevel = anchorsPx[0].Length / 2;
        var evolved = AnchorEvolution.Run(wh, flat.Length / 2, imgSize, options);
        bool replace = evolved.Fit.Bpr > before.Bpr;
        var result = replace ? AnchorOrder.ByStride(AnchorOrder.ToLevels(evolved.Anchors, perLevel), strides) : anchorsPx;
        return new AutoAnchorReport(imgSize, options.AnchorT, before, evolved, replace, result, null);
    }
}
