using System.Globalization;
using YoloDistill.Detector.Data;

namespace YoloDistill.Detector.Evaluation;

/// <summary>AP of one category at IoU .50:.95, area all, 100 detections; -1 when the category has no ground truth.</summary>
public sealed record CategoryAp(long CategoryId, string Name, double Ap);

/// <summary>COCOeval's output: the 12 summary stats, the accumulated precision/recall arrays and per-category AP.</summary>
public sealed class CocoEvalResult
{
    public static readonly string[] StatNames = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"];

    /// <summary>AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl (-1 where nothing was valid).</summary>
    public required double[] Stats { get; init; }
    public required IReadOnlyList<CategoryAp> PerCategory { get; init; }
    /// <summary>
    /// pycocotools' eval['precision'] at the largest maxDets (the only slice summarize() reads), stored [K, A, T, R]
    /// in C order, -1 for categories without ground truth; see <see cref="PrecisionAt"/>.
    /// </summary>
    public required double[] Precision { get; init; }
    internal int T, R, A;
    /// <summary>eval['precision'][t, r, k, a, -1].</summary>
    public double PrecisionAt(int t, int r, int k, int a) => Precision[((k * A + a) * T + t) * R + r];
    /// <summary>Recall [T, K, A, M] flattened in C order (pycocotools' eval['recall']).</summary>
    public required double[] Recall { get; init; }
    /// <summary>The 12 lines pycocotools' summarize() prints.</summary>
    public required string[] SummaryLines { get; init; }

    internal static CocoEvalResult Summarize(CocoEvalParams p, CocoCategory[] cats, double[] precision, double[] recall)
    {
        int K = cats.Length;
        var stats = new double[12];
        var buf = new double[p.T * p.R * K];
        var lines = new string[12];
        int md = p.MaxDets[^1];
        (bool ap, double? iou, string area, int maxDets)[] rows =
        [
            (true, null, "all", md), (true, .5, "all", md), (true, .75, "all", md),
            (true, null, "small", md), (true, null, "medium", md), (true, null, "large", md),
            (false, null, "all", p.MaxDets[0]), (false, null, "all", p.MaxDets[1]), (false, null, "all", md),
            (false, null, "small", md), (false, null, "medium", md), (false, null, "large", md),
        ];
        for (int i = 0; i < rows.Length; i++)
        {
            var (ap, iou, area, maxDets) = rows[i];
            stats[i] = SummarizeOne(p, K, precision, recall, ap, iou, area, maxDets, buf);
            lines[i] = Line(p, ap, iou, area, maxDets, stats[i]);
        }

        var perCat = new CategoryAp[K];
        for (int k = 0; k < K; k++)
        {
            int nv = 0;
            foreach (double v in precision.AsSpan(k * p.A * p.T * p.R, p.T * p.R)) // area 'all', every t and r
                if (v > -1) buf[nv++] = v;
            perCat[k] = new CategoryAp(cats[k].Id, cats[k].Name, nv == 0 ? -1 : NumpyMath.Mean(buf.AsSpan(0, nv)));
        }
        return new CocoEvalResult
        {
            Stats = stats, PerCategory = perCat, Precision = precision, Recall = recall, SummaryLines = lines,
            T = p.T, R = p.R, A = p.A,
        };
    }

    /// <summary>_summarize: mean of the selected precision (or recall) entries that are &gt; -1, in numpy's C order.</summary>
    static double SummarizeOne(CocoEvalParams p, int K, double[] precision, double[] recall, bool ap, double? iouThr, string areaLbl, int maxDets, double[] vals)
    {
        var ts = iouThr is { } thr ? Enumerable.Range(0, p.T).Where(t => p.IouThrs[t] == thr).ToArray() : Enumerable.Range(0, p.T).ToArray();
        var aind = Enumerable.Range(0, p.A).Where(a => p.AreaLabels[a] == areaLbl).ToArray();
        var mind = Enumerable.Range(0, p.M).Where(m => p.MaxDets[m] == maxDets).ToArray();
        if (aind.Length != 1 || mind.Length != 1 || (ap && mind[0] != p.M - 1)) return -1;
        int a = aind[0], m = mind[0];
        // Entries are visited in numpy's C order of s[t, r, k] (precision) or s[t, k] (recall) before the mean.
        int n = 0;
        foreach (int t in ts)
        {
            if (ap)
            {
                for (int r = 0; r < p.R; r++)
                    for (int k = 0; k < K; k++)
                    {
                        double v = precision[((k * p.A + a) * p.T + t) * p.R + r];
                        if (v > -1) vals[n++] = v;
                    }
            }
            else
            {
                for (int k = 0; k < K; k++)
                {
                    double v = recall[((t * K + k) * p.A + a) * p.M + m];
                    if (v > -1) vals[n++] = v;
                }
            }
        }
        return n == 0 ? -1 : NumpyMath.Mean(vals.AsSpan(0, n));
    }

    /// <summary>' {:&lt;18} {} @[ IoU={:&lt;9} | area={:&gt;6s} | maxDets={:&gt;3d} ] = {:0.3f}'.</summary>
    static string Line(CocoEvalParams p, bool ap, double? iouThr, string area, int maxDets, double value)
    {
        string title = ap ? "Average Precision" : "Average Recall";
        string type = ap ? "(AP)" : "(AR)";
        string iou = iouThr is { } thr
            ? PythonFormat.Fixed(thr, 2)
            : PythonFormat.Fixed(p.IouThrs[0], 2) + ":" + PythonFormat.Fixed(p.IouThrs[^1], 2);
        return $" {title,-18} {type} @[ IoU={iou,-9} | area={area,6} | maxDets={maxDets.ToString(CultureInfo.InvariantCulture),3} ] = {PythonFormat.Fixed(value, 3)}";
    }
}
