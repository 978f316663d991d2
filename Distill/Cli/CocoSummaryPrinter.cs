using YoloDistill.Detector.Evaluation;

namespace YoloDistill.Distill.Cli;

/// <summary>pycocotools' summarize() output, shared by cocoeval and val.</summary>
public static class CocoSummaryPrinter
{
    /// <summary>Plain lines, not markup: the layout is pycocotools' to the character.</summary>
    public static void Print(CocoEvalResult result, TextWriter? writer = null)
    {
        var w = writer ?? Console.Out;
        foreach (var line in result.SummaryLines) w.WriteLine(line);
    }
}
