namespace YoloDistill.Detector.Evaluation;

/// <summary>Output of <see cref="ApPerClass.Compute"/>, one row per class that has labels (ascending class).</summary>
public sealed record ApPerClassResult
{
    /// <summary>True / false positives at the best-F1 confidence (rounded as Ultralytics does).</summary>
    public required double[] Tp { get; init; }
    public required double[] Fp { get; init; }
    public required double[] P { get; init; }
    public required double[] R { get; init; }
    public required double[] F1 { get; init; }
    /// <summary>AP per class and IoU threshold: [class][iou] (nc x 10).</summary>
    public required double[][] Ap { get; init; }
    public required int[] UniqueClasses { get; init; }
    /// <summary>Label count per row of <see cref="UniqueClasses"/>.</summary>
    public required long[] Nt { get; init; }
    /// <summary>Confidence axis of the curves: np.linspace(0, 1, 1000).</summary>
    public required double[] Px { get; init; }
    /// <summary>Precision on the recall axis Px at IoU .5, one curve per class that has predictions (Ultralytics' py).</summary>
    public required double[][] PrCurves { get; init; }
    /// <summary>Row of <see cref="UniqueClasses"/> each PR curve belongs to.</summary>
    public required int[] PrCurveRows { get; init; }
    /// <summary>Per class over confidence Px: precision, recall and F1 (nc x 1000).</summary>
    public required double[][] PCurve { get; init; }
    public required double[][] RCurve { get; init; }
    public required double[][] F1Curve { get; init; }
    /// <summary>Index into Px of the maximum of the smoothed mean F1, where P, R, F1 are read.</summary>
    public required int BestIndex { get; init; }
}

/// <summary>
/// Ultralytics utils/metrics.py ap_per_class (v7.0) in float64 with numpy's interp, trapz and summation order.
/// One deliberate difference: detections are ordered by a stable sort on -conf, where numpy's default quicksort
/// leaves the order of equal confidences unspecified.
/// </summary>
public static class ApPerClass
{
    public static ApPerClassResult Compute(bool[] tp, int nIou, float[] conf, float[] predCls, float[] targetCls, double eps = 1e-16)
    {
        int n = conf.Length;
        if (tp.Length != n * nIou || predCls.Length != n)
            throw new ArgumentException($"ap_per_class: tp has {tp.Length} entries, expected {n} x {nIou}; pred_cls has {predCls.Length}, expected {n}");
        var order = Enumerable.Range(0, n).ToArray();
        var negConf = conf.Select(c => -c).ToArray();
        // Stable ascending on -conf (float32 comparison, as numpy compares the float32 array).
        order = order.OrderBy(i => negConf[i]).ThenBy(i => i).ToArray();

        var groups = targetCls.GroupBy(c => c).OrderBy(g => g.Key).ToArray();
        int nc = groups.Length;
        var px = NumpyMath.Linspace(0, 1, 1000);
        var negPx = px.Select(v => -v).ToArray();
        var ap = new double[nc][];
        var p = new double[nc][];
        var r = new double[nc][];
        var py = new List<double[]>();
        var pyRows = new List<int>();
        var x101 = NumpyMath.Linspace(0, 1, 101);
        for (int ci = 0; ci < nc; ci++)
        {
            ap[ci] = new double[nIou];
            p[ci] = new double[1000];
            r[ci] = new double[1000];
            float c = groups[ci].Key;
            long nl = groups[ci].LongCount();
            var idx = order.Where(i => predCls[i] == c).ToArray();
            int np = idx.Length;
            if (np == 0 || nl == 0) continue;

            var xp = new double[np];
            for (int k = 0; k < np; k++) xp[k] = negConf[idx[k]];
            var recall = new double[nIou][];
            var precision = new double[nIou][];
            for (int j = 0; j < nIou; j++)
            {
                recall[j] = new double[np];
                precision[j] = new double[np];
                long tpc = 0, fpc = 0;
                for (int k = 0; k < np; k++)
                {
                    if (tp[idx[k] * nIou + j]) tpc++; else fpc++;
                    recall[j][k] = tpc / ((double)nl + eps);
                    precision[j][k] = (double)tpc / (tpc + fpc);
                }
            }
            r[ci] = NumpyMath.Interp(negPx, xp, recall[0], left: 0);
            p[ci] = NumpyMath.Interp(negPx, xp, precision[0], left: 1);
            for (int j = 0; j < nIou; j++)
            {
                var (a, mpre, mrec) = ComputeAp(recall[j], precision[j], x101);
                ap[ci][j] = a;
                if (j == 0) { py.Add(NumpyMath.Interp(px, mrec, mpre)); pyRows.Add(ci); }
            }
        }

        var f1 = new double[nc][];
        for (int ci = 0; ci < nc; ci++)
        {
            f1[ci] = new double[1000];
            for (int k = 0; k < 1000; k++) f1[ci][k] = 2 * p[ci][k] * r[ci][k] / (p[ci][k] + r[ci][k] + eps);
        }
        int best = nc == 0 ? 0 : ArgMax(Smooth(MeanOverRows(f1, 1000), 0.1));
        var pAt = p.Select(row => row[best]).ToArray();
        var rAt = r.Select(row => row[best]).ToArray();
        var f1At = f1.Select(row => row[best]).ToArray();
        var nt = groups.Select(g => g.LongCount()).ToArray();
        var tpOut = new double[nc];
        var fpOut = new double[nc];
        for (int ci = 0; ci < nc; ci++)
        {
            tpOut[ci] = Math.Round(rAt[ci] * nt[ci], MidpointRounding.ToEven);
            fpOut[ci] = Math.Round(tpOut[ci] / (pAt[ci] + eps) - tpOut[ci], MidpointRounding.ToEven);
        }
        return new ApPerClassResult
        {
            Tp = tpOut, Fp = fpOut, P = pAt, R = rAt, F1 = f1At, Ap = ap,
            UniqueClasses = groups.Select(g => (int)g.Key).ToArray(), Nt = nt,
            Px = px, PrCurves = py.ToArray(), PrCurveRows = pyRows.ToArray(), PCurve = p, RCurve = r, F1Curve = f1, BestIndex = best,
        };
    }

    /// <summary>compute_ap: sentinels, precision envelope, 101-point interpolated area (method 'interp').</summary>
    public static (double ap, double[] mpre, double[] mrec) ComputeAp(double[] recall, double[] precision, double[]? x101 = null)
    {
        int n = recall.Length;
        var mrec = new double[n + 2];
        var mpre = new double[n + 2];
        mrec[0] = 0.0; mpre[0] = 1.0;
        recall.CopyTo(mrec, 1); precision.CopyTo(mpre, 1);
        mrec[n + 1] = 1.0; mpre[n + 1] = 0.0;
        for (int i = n; i >= 0; i--) mpre[i] = Math.Max(mpre[i], mpre[i + 1]); // np.maximum.accumulate from the right
        x101 ??= NumpyMath.Linspace(0, 1, 101);
        return (NumpyMath.Trapz(NumpyMath.Interp(x101, mrec, mpre), x101), mpre, mrec);
    }

    /// <summary>Ultralytics smooth(): box filter of fraction f over y, edges padded with the end values.</summary>
    public static double[] Smooth(double[] y, double f = 0.05)
    {
        int nf = (int)Math.Round(y.Length * f * 2, MidpointRounding.ToEven) / 2 + 1;
        int half = nf / 2;
        var yp = new double[y.Length + 2 * half];
        for (int i = 0; i < yp.Length; i++) yp[i] = i < half ? y[0] : i >= half + y.Length ? y[^1] : y[i - half];
        double w = 1.0 / nf;
        var res = new double[yp.Length - nf + 1];
        for (int i = 0; i < res.Length; i++)
        {
            double s = 0;
            for (int k = 0; k < nf; k++) s += yp[i + k] * w;
            res[i] = s;
        }
        return res;
    }

    /// <summary>x.mean(0) of a (rows x cols) array: rows added in order, as numpy reduces a leading axis.</summary>
    public static double[] MeanOverRows(double[][] x, int cols)
    {
        var s = new double[cols];
        foreach (var row in x)
            for (int j = 0; j < cols; j++) s[j] += row[j];
        for (int j = 0; j < cols; j++) s[j] /= x.Length;
        return s;
    }

    internal static int ArgMax(double[] v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
