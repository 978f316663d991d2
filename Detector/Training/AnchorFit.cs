namespace YoloDistill.Detector.Training;

/// <summary>
/// How well anchors fit label sizes, with Ultralytics v7.0 autoanchor.py's ratio metric: for a box and an anchor,
/// x = min over w, h of min(r, 1/r) with r = box/anchor; a box is reachable by an anchor when x &gt; 1/anchor_t
/// (the loss's own assignment rule). Computed in float32 as autoanchor.py's torch code, on plain arrays: evolution
/// calls it a thousand times on a few thousand boxes, where a tensor's per-call cost would dominate.
/// </summary>
/// <param name="Bpr">Best possible recall: the share of boxes some anchor reaches.</param>
/// <param name="Aat">Anchors above threshold: how many anchors reach a box, averaged over boxes.</param>
/// <param name="Fitness">kmean_anchors' fitness: the best anchor's x averaged over all boxes, 0 where it does not pass 1/anchor_t.</param>
/// <param name="Boxes">Boxes measured.</param>
public sealed record AnchorFit(double Bpr, double Aat, double Fitness, int Boxes)
{
    /// <summary>Measures anchors (pixels, w0,h0,w1,h1,...) against box sizes (pixels, w then h per box).</summary>
    public static AnchorFit Measure(float[] wh, float[] anchors, double anchorT)
    {
        float thr = Threshold(anchorT);
        int n = wh.Length / 2;
        long reached = 0, above = 0;
        double fitness = 0;
        for (int i = 0; i < n; i++)
        {
            float best = BestRatio(wh[2 * i], wh[2 * i + 1], anchors, thr, out int count);
            above += count;
            if (best > thr) { reached++; fitness += best; }
        }
        return new AnchorFit((double)reached / n, (double)above / n, fitness / n, n);
    }

    /// <summary>kmean_anchors' anchor_fitness: mean over boxes of best * (best &gt; 1/anchor_t).</summary>
    public static double FitnessOf(float[] wh, float[] anchors, double anchorT)
    {
        float thr = Threshold(anchorT);
        int n = wh.Length / 2;
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            float best = BestRatio(wh[2 * i], wh[2 * i + 1], anchors, thr, out _);
            if (best > thr) sum += best;
        }
        return sum / n;
    }

    /// <summary>1/anchor_t as float32: torch compares a float32 tensor with a Python float in float32.</summary>
    public static float Threshold(double anchorT) => (float)(1.0 / anchorT);

    /// <summary>The best anchor's ratio metric for one box, and how many anchors pass the threshold.</summary>
    static float BestRatio(float w, float h, float[] anchors, float thr, out int above)
    {
        float best = 0;
        above = 0;
        for (int j = 0; j < anchors.Length; j += 2)
        {
            float rw = w / anchors[j], rh = h / anchors[j + 1];
            float x = MathF.Min(MathF.Min(rw, 1f / rw), MathF.Min(rh, 1f / rh));
            if (x > thr) above++;
            if (x > best) best = x;
        }
        return best;
    }
}
