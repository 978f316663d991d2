using System.CommandLine;
using Spectre.Console;
using YoloDistill.Detector.Evaluation;

namespace YoloDistill.Distill.Cli;

/// <summary>yolo-distill cocoeval: pycocotools' bbox COCOeval on a results file, printed in pycocotools' layout.</summary>
public static class CocoEvalCommand
{
    public static Command Create()
    {
        var annotations = new Option<FileInfo>("--annotations") { Description = "COCO instances json (ground truth)", Required = true };
        var detections = new Option<FileInfo>("--detections") { Description = "COCO results json: list of {image_id, category_id, bbox, score}", Required = true };
        var output = new Option<FileInfo?>("--out") { Description = "Write {\"stats\": [...12], \"per_category\": {name: AP}} here" };
        var perCategory = new Option<bool>("--per-category") { Description = "Also print AP@[.50:.95] per category" };
        var cmd = new Command("cocoeval", "Evaluate a COCO results file against COCO annotations, as pycocotools does");
        cmd.Options.Add(annotations);
        cmd.Options.Add(detections);
        cmd.Options.Add(output);
        cmd.Options.Add(perCategory);
        cmd.SetAction(pr =>
        {
            var result = new CocoEvaluator().Evaluate(pr.GetValue(annotations)!.FullName, pr.GetValue(detections)!.FullName);
            CocoSummaryPrinter.Print(result);
            if (pr.GetValue(perCategory))
            {
                var table = new Table().AddColumn("category").AddColumn(new TableColumn("AP@[.50:.95]").RightAligned());
                foreach (var c in result.PerCategory.Where(c => c.Ap > -1))
                    table.AddRow(Markup.Escape(c.Name), c.Ap.ToString("F3", System.Globalization.CultureInfo.InvariantCulture));
                AnsiConsole.Write(table);
            }
            if (pr.GetValue(output) is { } o)
            {
                CocoEvalResultJson.Write(result, o.FullName);
                AnsiConsole.MarkupLine($"stats written to [green]{Markup.Escape(o.FullName)}[/]");
            }
            return 0;
        });
        return cmd;
    }
}
