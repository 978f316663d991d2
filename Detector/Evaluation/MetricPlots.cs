using System.Globalization;
using ScottPlot;
using YoloDistill.Detector.Common;

namespace YoloDistill.Detector.Evaluation;

/// <summary>
/// Ultralytics' validation plots as PNG files (ScottPlot): PR curve, metric-confidence curves (F1, P, R) and the
/// confusion matrix. Per-class lines get a legend when there are fewer than 21 classes, as in plot_pr_curve.
/// </summary>
public static class MetricPlots
{
    const int Width = 900, Height = 600;

    static string F(double v, string fmt) => v.ToString(fmt, CultureInfo.InvariantCulture);

    static string Name(IReadOnlyDictionary<int, string>? names, int cls) =>
        names != null && names.TryGetValue(cls, out var n) ? n : cls.ToString(CultureInfo.InvariantCulture);

    /// <summary>plot_pr_curve: precision over recall at IoU .5 per class and their mean, titled with mAP@0.5.</summary>
    public static void PrCurve(ApPerClassResult r, string path, IReadOnlyDictionary<int, string>? names = null)
    {
        var plt = new Plot();
        int nCurves = r.PrCurves.Length;
        bool legendPerClass = nCurves > 0 && nCurves < 21;
        for (int i = 0; i < nCurves; i++)
        {
            int row = r.PrCurveRows[i];
            var line = plt.Add.ScatterLine(r.Px, r.PrCurves[i]);
            line.LineWidth = 1;
            if (legendPerClass) line.LegendText = $"{Name(names, r.UniqueClasses[row])} {F(r.Ap[row][0], "F3")}";
            else line.Color = Colors.Gray;
        }
        if (nCurves > 0)
        {
            var mean = ApPerClass.MeanOverRows(r.PrCurves, r.Px.Length);
            var all = plt.Add.ScatterLine(r.Px, mean);
            all.LineWidth = 3;
            all.Color = Colors.Blue;
            all.LegendText = $"all classes {F(NumpyMath.Mean(r.Ap.Select(a => a[0]).ToArray()), "F3")} mAP@0.5";
        }
        Finish(plt, "Recall", "Precision", "Precision-Recall Curve", path);
    }

    /// <summary>plot_mc_curve for F1 (also usable for P and R): per-class curves over confidence and the smoothed mean.</summary>
    public static void MetricConfidenceCurve(ApPerClassResult r, double[][] curves, string ylabel, string path, IReadOnlyDictionary<int, string>? names = null)
    {
        var plt = new Plot();
        bool legendPerClass = curves.Length > 0 && curves.Length < 21;
        for (int i = 0; i < curves.Length; i++)
        {
            var line = plt.Add.ScatterLine(r.Px, curves[i]);
            line.LineWidth = 1;
            if (legendPerClass) line.LegendText = Name(names, r.UniqueClasses[i]);
            else line.Color = Colors.Gray;
        }
        if (curves.Length > 0)
        {
            var y = ApPerClass.Smooth(ApPerClass.MeanOverRows(curves, r.Px.Length), 0.05);
            int best = ApPerClass.ArgMax(y);
            var all = plt.Add.ScatterLine(r.Px, y);
            all.LineWidth = 3;
            all.Color = Colors.Blue;
            all.LegendText = $"all classes {F(y[best], "F2")} at {F(r.Px[best], "F3")}";
        }
        Finish(plt, "Confidence", ylabel, $"{ylabel}-Confidence Curve", path);
    }

    public static void F1Curve(ApPerClassResult r, string path, IReadOnlyDictionary<int, string>? names = null) =>
        MetricConfidenceCurve(r, r.F1Curve, "F1", path, names);

    static void Finish(Plot plt, string xlabel, string ylabel, string title, string path)
    {
        plt.XLabel(xlabel);
        plt.YLabel(ylabel);
        plt.Title(title);
        plt.Axes.SetLimits(0, 1, 0, 1);
        plt.ShowLegend(Alignment.UpperRight);
        Save(plt, path, Width, Height);
    }

    /// <summary>
    /// ConfusionMatrix.plot: columns normalised to sum 1 (true classes), cells under 0.005 left blank, values printed
    /// when there are fewer than 30 classes; rows are predicted classes, the last row/column is background.
    /// </summary>
    public static void ConfusionMatrix(ConfusionMatrix cm, string path, IReadOnlyList<string>? names = null, bool normalize = true)
    {
        int n = cm.Nc + 1;
        var data = new double[n, n];
        for (int c = 0; c < n; c++)
        {
            double col = 0;
            for (int r = 0; r < n; r++) col += cm.Matrix[r, c];
            for (int r = 0; r < n; r++)
            {
                double v = cm.Matrix[r, c] / (normalize ? col + 1e-9 : 1);
                data[r, c] = v < 0.005 ? double.NaN : v;
            }
        }
        var plt = new Plot();
        var cmap = new ScottPlot.Colormaps.Blues();
        double vmax = 0;
        foreach (var v in data) if (!double.IsNaN(v)) vmax = Math.Max(vmax, v);
        // Cells drawn as rectangles: row r (predicted) from the top, column c (true) from the left.
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++)
            {
                double v = data[r, c];
                if (double.IsNaN(v)) continue;
                var rect = plt.Add.Rectangle(c, c + 1, n - r - 1, n - r);
                rect.FillColor = cmap.GetColor(1 - (vmax > 0 ? v / vmax : 0)); // ScottPlot's Blues runs dark to light
                rect.LineWidth = 0;
                if (cm.Nc >= 30) continue;
                var t = plt.Add.Text(F(v, "F2"), c + 0.5, n - r - 0.5);
                t.LabelFontSize = Math.Min(14f, 240f / n);
                t.LabelAlignment = Alignment.MiddleCenter;
                t.LabelFontColor = v > 0.5 * vmax ? Colors.White : Colors.Black;
            }
        bool useNames = names != null && names.Count == cm.Nc && cm.Nc < 99;
        var ticks = Enumerable.Range(0, n).Select(i => i < cm.Nc ? (useNames ? names![i] : i.ToString(CultureInfo.InvariantCulture)) : "background").ToArray();
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, n).Select(i => i + 0.5).ToArray(), ticks);
        plt.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, n).Select(i => n - i - 0.5).ToArray(), ticks);
        plt.Axes.Bottom.TickLabelStyle.Rotation = 90;
        plt.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plt.XLabel("True");
        plt.YLabel("Predicted");
        plt.Title("Confusion Matrix");
        plt.Axes.SetLimits(0, n, 0, n);
        Save(plt, path, 1000, 800);
    }

    static void Save(Plot plt, string path, int w, int h)
    {
        // results.png and friends are rewritten while a run is watched; a viewer never sees half a PNG.
        AtomicFile.WriteToTempPath(path, tmp => plt.SavePng(tmp, w, h));
    }
}
