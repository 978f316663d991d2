using System.Globalization;

namespace YoloDistill.Detector.Training;

/// <summary>What AutoAnchor measured and decided, for the caller to show.</summary>
/// <param name="ImgSize">Training size the boxes were measured at.</param>
/// <param name="AnchorT">hyp anchor_t the fit was measured with.</param>
/// <param name="Before">The model's anchors' fit.</param>
/// <param name="Evolved">What k-means and evolution found, when the fit was poor and evolution allowed; else null.</param>
/// <param name="Replaced">True when the evolved anchors fit better (higher BPR) and replace the model's.</param>
/// <param name="AnchorsPx">The anchors the run uses from now on, one row per level (pixels, stride order).</param>
/// <param name="SkippedBecause">Why a poor fit was not improved (evolution not allowed), or null.</param>
public sealed record AutoAnchorReport(int ImgSize, double AnchorT, AnchorFit Before, EvolvedAnchors? Evolved, bool Replaced, float[][] AnchorsPx, string? SkippedBecause)
{
    /// <summary>Ultralytics' AutoAnchor lines, with the evolved anchors and the time evolution took.</summary>
    public IReadOnlyList<string> Describe()
    {
        var ci = CultureInfo.InvariantCulture;
        var lines = new List<string>();
        var head = string.Create(ci, $"AutoAnchor: {Before.Aat:0.00} anchors/target, {Before.Bpr:0.000} Best Possible Recall (BPR) at img {ImgSize} ({Before.Boxes} boxes). ");
        if (Evolved is null && SkippedBecause is null)
        {
            lines.Add(head + "Current anchors are a good fit to dataset.");
            return lines;
        }
        if (Evolved is null)
        {
            lines.Add(head + "Anchors are a poor fit to dataset, not improved: " + SkippedBecause);
            return lines;
        }
        lines.Add(head + "Anchors are a poor fit to dataset, attempting to improve...");
        var e = Evolved;
        if (e.SmallBoxes > 0) lines.Add(string.Create(ci, $"AutoAnchor: WARNING Extremely small objects found: {e.SmallBoxes} of {Before.Boxes} labels are <3 pixels in size"));
        lines.Add(string.Create(ci, $"AutoAnchor: {(e.RandomInit ? "random init (k-means fell short)" : "k-means")} on {e.BoxesUsed} boxes, fitness {e.KMeansFitness:0.0000}; " +
                                    $"evolved fitness {e.Fitness:0.0000} in {e.Elapsed.TotalSeconds:0.00} s"));
        lines.Add(string.Create(ci, $"AutoAnchor: thr={1 / AnchorT:0.00}: {e.Fit.Bpr:0.0000} best possible recall, {e.Fit.Aat:0.00} anchors past thr; anchors {Format(e.Anchors)}"));
        lines.Add(Replaced
            ? "AutoAnchor: Done (new anchors saved to the model and its checkpoints)"
            : "AutoAnchor: Done (original anchors better than new anchors, proceeding with original anchors)");
        return lines;
    }

    /// <summary>"w,h, w,h, ..." rounded to pixels, as kmean_anchors prints them.</summary>
    public static string Format(IEnumerable<float[]> anchors) =>
        string.Join(",  ", anchors.Select(a => string.Create(CultureInfo.InvariantCulture, $"{Math.Round(a[0], MidpointRounding.ToEven)},{Math.Round(a[1], MidpointRounding.ToEven)}")));
}
