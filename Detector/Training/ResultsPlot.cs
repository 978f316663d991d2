using ScottPlot;
using YoloDistill.Detector.Common;

namespace YoloDistill.Detector.Training;

/// <summary>
/// results.png: a grid of small plots, one per results.csv column, in Ultralytics' plot_results order
/// (train losses, precision, recall, val losses, mAPs), followed by extra loss columns and the three lrs.
/// </summary>
public static class ResultsPlot
{
    public static void Save(string path, IReadOnlyList<EpochResult> rows)
    {
        if (rows.Count == 0) return;
        var series = new List<(string Title, Func<EpochResult, double> Get)>
        {
            ("train/box_loss", r => r.TrainBox), ("train/obj_loss", r => r.TrainObj), ("train/cls_loss", r => r.TrainCls),
            ("metrics/precision", r => r.Precision), ("metrics/recall", r => r.Recall),
            ("val/box_loss", r => r.ValBox), ("val/obj_loss", r => r.ValObj), ("val/cls_loss", r => r.ValCls),
            ("metrics/mAP_0.5", r => r.Map50), ("metrics/mAP_0.5:0.95", r => r.Map5095),
        };
        foreach (var key in rows[^1].Extra.Select(e => e.Key))
            series.Add((key, r => r.Extra.FirstOrDefault(e => e.Key == key).Value));
        series.Add(("x/lr0", r => r.Lr0));
        series.Add(("x/lr1", r => r.Lr1));
        series.Add(("x/lr2", r => r.Lr2));

        const int cols = 5;
        int nrows = (series.Count + cols - 1) / cols;
        var multi = new Multiplot { Layout = new ScottPlot.MultiplotLayouts.Grid(nrows, cols) };
        // A new Multiplot holds one empty plot; left in, it pushes a full grid one cell over its size.
        multi.RemovePlot(multi.GetPlot(0));
        foreach (var (title, get) in series)
        {
            var plot = new Plot();
            var pts = rows.Select(r => (X: (double)r.Epoch, Y: get(r))).Where(p => double.IsFinite(p.Y)).ToArray();
            if (pts.Length > 0)
            {
                var sc = plot.Add.Scatter(pts.Select(p => p.X).ToArray(), pts.Select(p => p.Y).ToArray());
                sc.MarkerSize = rows.Count <= 30 ? 4 : 0;
                sc.LineWidth = 1.5f;
            }
            plot.Title(title, 12);
            plot.Axes.Bottom.Label.Text = "epoch";
            multi.AddPlot(plot);
        }
        // Rewritten every epoch while the run may be watched: a viewer never sees half a PNG.
        AtomicFile.WriteToTempPath(path, tmp => multi.SavePng(tmp, 300 * cols, 240 * nrows));
    }
}
