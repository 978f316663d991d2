using ScottPlot;
using YoloDistill.Detector.Common;

namespace YoloDistill.Detector.Training;

/// <summary>labels.png: instances per class in the training set, the first panel of Ultralytics' labels.jpg.</summary>
public static class LabelsPlot
{
    public static void Save(string path, IReadOnlyList<int> classIds, IReadOnlyList<string> names)
    {
        var counts = new double[names.Count];
        foreach (var c in classIds)
        {
            if (c < 0 || c >= names.Count) throw new ArgumentException($"label class {c} is outside 0..{names.Count - 1}.");
            counts[c]++;
        }
        var plot = new Plot();
        var bars = plot.Add.Bars(counts);
        bars.Color = Colors.SteelBlue;
        plot.Title($"{classIds.Count} instances, {counts.Count(c => c > 0)} of {names.Count} classes", 14);
        plot.Axes.Left.Label.Text = "instances";
        plot.Axes.Margins(bottom: 0);
        if (names.Count <= 100)
        {
            var ticks = names.Select((n, i) => new Tick(i, n)).ToArray();
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
            plot.Axes.Bottom.TickLabelStyle.Rotation = -90;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        }
        AtomicFile.WriteToTempPath(path, tmp => plot.SavePng(tmp, Math.Max(800, 14 * names.Count + 200), 600));
    }
}
