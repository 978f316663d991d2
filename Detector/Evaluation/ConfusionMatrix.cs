namespace YoloDistill.Detector.Evaluation;

/// <summary>
/// Ultralytics ConfusionMatrix (v7.0): matrix[predicted, true] over nc classes plus a background row/column.
/// Matching is class-agnostic at IoU &gt; iou_thres after dropping detections with conf &lt;= conf, with the
/// reference's sort/unique steps reproduced literally (stable argsort reversed for numpy's argsort()[::-1]).
/// </summary>
public sealed class ConfusionMatrix(int nc, double conf = 0.25, double iouThres = 0.45)
{
    public int Nc { get; } = nc;
    public double Conf { get; } = conf;
    public double IouThres { get; } = iouThres;
    /// <summary>(nc + 1) x (nc + 1): rows predicted class, columns true class; index nc is background.</summary>
    public double[,] Matrix { get; } = new double[nc + 1, nc + 1];

    /// <summary>detections (n x 6: x1, y1, x2, y2, conf, cls) or null for an image without predictions; labels (m x 5: cls, x1, y1, x2, y2).</summary>
    public void ProcessBatch(float[]? detections, float[] labels)
    {
        int m = labels.Length / 5;
        if (detections is null)
        {
            for (int i = 0; i < m; i++) Matrix[Nc, (int)labels[i * 5]] += 1; // background FN
            return;
        }
        var kept = new List<float>();
        for (int i = 0; i + 6 <= detections.Length; i += 6)
            if (detections[i + 4] > (float)Conf) kept.AddRange(detections.AsSpan(i, 6).ToArray());
        var det = kept.ToArray();
        int n = det.Length / 6;
        var iou = DetectionMatcher.BoxIou(labels, m, 5, 1, det, n, 6, 0);

        var matches = new List<(int l, int d, float iou)>();
        for (int l = 0; l < m; l++)
            for (int d = 0; d < n; d++)
                if (iou[l * n + d] > (float)IouThres) matches.Add((l, d, iou[l * n + d]));
        if (matches.Count > 1)
        {
            matches = ByIouDescending(matches);
            matches = UniqueFirst(matches, x => x.d);
            matches = ByIouDescending(matches);
            matches = UniqueFirst(matches, x => x.l);
        }

        bool any = matches.Count > 0;
        for (int i = 0; i < m; i++)
        {
            int gc = (int)labels[i * 5];
            var hit = matches.Where(x => x.l == i).ToArray();
            if (any && hit.Length == 1) Matrix[(int)det[hit[0].d * 6 + 5], gc] += 1; // correct (or confused class)
            else Matrix[Nc, gc] += 1; // missed: true background
        }
        if (any)
            for (int d = 0; d < n; d++)
                if (!matches.Any(x => x.d == d)) Matrix[(int)det[d * 6 + 5], Nc] += 1; // predicted background
    }

    /// <summary>tp = diagonal, fp = row sums minus tp, both without the background class.</summary>
    public (double[] tp, double[] fp) TpFp()
    {
        var tp = new double[Nc];
        var fp = new double[Nc];
        for (int i = 0; i < Nc; i++)
        {
            tp[i] = Matrix[i, i];
            double row = 0;
            for (int j = 0; j <= Nc; j++) row += Matrix[i, j];
            fp[i] = row - tp[i];
        }
        return (tp, fp);
    }

    /// <summary>matches[matches[:, 2].argsort()[::-1]]: stable ascending by IoU, then reversed.</summary>
    static List<(int l, int d, float iou)> ByIouDescending(List<(int l, int d, float iou)> x)
    {
        var asc = x.Select((v, i) => (v, i)).OrderBy(t => t.v.iou).ThenBy(t => t.i).Select(t => t.v).ToList();
        asc.Reverse();
        return asc;
    }

    /// <summary>matches[np.unique(key, return_index=True)[1]]: first occurrence of each key, ordered by key.</summary>
    static List<(int l, int d, float iou)> UniqueFirst(List<(int l, int d, float iou)> x, Func<(int l, int d, float iou), int> key) =>
        x.Select((v, i) => (v, i)).GroupBy(t => key(t.v)).OrderBy(g => g.Key).Select(g => g.First().v).ToList();
}
