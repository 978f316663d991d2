namespace YoloDistill.Detector.Evaluation;

/// <summary>One row of val.py's per-class table.</summary>
public sealed record ClassMetrics(int Class, long Instances, double P, double R, double Ap50, double Ap);

/// <summary>val.py's summary: mean P, R, mAP@.5, mAP@.5:.95 and the per-class rows.</summary>
public sealed record ValMetrics(int Images, long Instances, double MP, double MR, double Map50, double Map,
    IReadOnlyList<ClassMetrics> PerClass, long[] TargetsPerClass, ApPerClassResult? Curves);

/// <summary>
/// Accumulates val.py's per-image stats (correct, conf, pred_cls, target_cls) and turns them into the numbers val.py
/// prints: ap_per_class, then ap50 = ap[:, 0], ap = ap.mean(1) and the means over classes with labels.
/// </summary>
public sealed class ValStats(int numIou = 10)
{
    readonly List<bool> correct = [];
    readonly List<float> conf = [];
    readonly List<float> predCls = [];
    readonly List<float> targetCls = [];

    public int NumIou { get; } = numIou;
    /// <summary>Images seen (val.py's 'seen').</summary>
    public int Images { get; private set; }

    /// <summary>Adds one image: correct is (n_det x NumIou) row-major.</summary>
    public void Add(ReadOnlySpan<bool> correctRows, ReadOnlySpan<float> confidences, ReadOnlySpan<float> predictedClasses, ReadOnlySpan<float> targetClasses)
    {
        if (correctRows.Length != confidences.Length * NumIou || predictedClasses.Length != confidences.Length)
            throw new ArgumentException($"ValStats.Add: {confidences.Length} detections need {confidences.Length * NumIou} correct flags and as many classes");
        Images++;
        foreach (var c in correctRows) correct.Add(c);
        foreach (var c in confidences) conf.Add(c);
        foreach (var c in predictedClasses) predCls.Add(c);
        foreach (var c in targetClasses) targetCls.Add(c);
    }

    public ValMetrics Compute(int nc)
    {
        var nt = new long[nc];
        foreach (var c in targetCls) if ((int)c >= 0 && (int)c < nc) nt[(int)c]++;
        // val.py computes metrics only when some detection is correct somewhere; otherwise everything stays 0.
        if (conf.Count == 0 || !correct.Contains(true))
            return new ValMetrics(Images, targetCls.Count, 0, 0, 0, 0, [], nt, null);
        var res = ApPerClass.Compute(correct.ToArray(), NumIou, conf.ToArray(), predCls.ToArray(), targetCls.ToArray());
        int k = res.UniqueClasses.Length;
        var ap50 = res.Ap.Select(row => row[0]).ToArray();
        var apMean = res.Ap.Select(row => NumpyMath.Mean(row)).ToArray();
        var rows = Enumerable.Range(0, k)
            .Select(i => new ClassMetrics(res.UniqueClasses[i], res.Nt[i], res.P[i], res.R[i], ap50[i], apMean[i])).ToArray();
        return new ValMetrics(Images, targetCls.Count, NumpyMath.Mean(res.P), NumpyMath.Mean(res.R), NumpyMath.Mean(ap50), NumpyMath.Mean(apMean),
            rows, nt, res);
    }
}
