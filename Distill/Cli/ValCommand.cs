using YoloDistill.Detector.Common;
using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using YoloDistill.Detector.Evaluation;

namespace YoloDistill.Distill.Cli;

/// <summary>
/// yolo-distill val: val.py on a COCO-format split (rect batches, fused model, multi-label NMS, boxes in original image
/// coordinates), then pycocotools' COCOeval of the run's own predictions. Prints both and writes predictions.json,
/// stats.json, per_class.csv and the PR / F1 / P / R / confusion-matrix plots.
/// </summary>
public static class ValCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Dataset root (images in ROOT/SPLIT, annotations in ROOT/annotations/instances_SPLIT.json)", Required = true };
        var split = new Option<string>("--split") { Description = "Split to evaluate", DefaultValueFactory = _ => "val2017" };
        var weights = new Option<string>("--weights") { Description = "Weights: Ultralytics .pt, .safetensors or this project's .ckpt", Required = true };
        var model = new Option<string?>("--model") { Description = "Architecture (yolov5n/s/m/l/x) for weights that do not imply one; weights that do win" };
        var img = SharedOptions.Img("Inference size (long side, pixels)");
        var batch = SharedOptions.Batch("Batch size; it sets the rect batch shapes, so results depend on it (val.py defaults to 32; the coco128 reference used 16)");
        var conf = new Option<double>("--conf") { Description = "NMS confidence threshold", DefaultValueFactory = _ => 0.001 };
        var iou = new Option<double>("--iou") { Description = "NMS IoU threshold", DefaultValueFactory = _ => 0.6 };
        var maxDet = new Option<int>("--max-det") { Description = "Maximum detections per image", DefaultValueFactory = _ => 300 };
        var device = SharedOptions.Device();
        var workers = SharedOptions.Workers();
        var output = new Option<string?>("--out") { Description = "Output folder (default runs/val/expN)" };
        var noPlots = new Option<bool>("--no-plots") { Description = "Skip the PR, F1, P, R and confusion-matrix plots" };
        var cmd = new Command("val", "Evaluate weights on a COCO-format split (COCO mAP and Ultralytics metrics)");
        var project = SharedOptions.Project();
        var name = SharedOptions.Name();
        foreach (var o in new Option[] { data, split, weights, model, img, batch, conf, iou, maxDet, device, workers, project, name, output, noPlots }) cmd.Options.Add(o);
        cmd.SetAction((pr, ct) => Task.FromResult(Run(new ValJobOptions
        {
            Data = pr.GetValue(data)!, Split = pr.GetValue(split)!, Weights = pr.GetValue(weights)!, Model = pr.GetValue(model),
            ImgSize = pr.GetValue(img), Batch = pr.GetValue(batch), ConfThres = pr.GetValue(conf), IouThres = pr.GetValue(iou),
            MaxDet = pr.GetValue(maxDet), Device = pr.GetValue(device)!, Workers = pr.GetValue(workers),
            Plots = !pr.GetValue(noPlots),
        }, pr.GetValue(output), pr.GetValue(project)!, pr.GetValue(name)!, ct)));
        return cmd;
    }

    static int Run(ValJobOptions o, string? output, string project, string name, CancellationToken ct)
    {
        using var job = ValJob.Prepare(o);
        // The run folder is made only once the weights and the data are known to be good.
        var outDir = RunDirectory.Resolve(output, "val", project, name);
        foreach (var note in job.Notes) AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(note)}[/]");
        AnsiConsole.MarkupLine($"val: [bold]{Markup.Escape(job.ModelName)}[/] from {Markup.Escape(o.Weights)} on {job.Dataset.Count} images of " +
                               $"{Markup.Escape(job.Dataset.ImagesDir)} at {job.ImgSize}, batch {o.Batch}, {Markup.Escape(job.Device.ToString())}");
        ValJobResult r = null!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ImagesPerSecondColumn(),
                     new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("val", maxValue: job.Dataset.Count);
                r = job.Run(outDir, new InlineProgress<int>(done => task.Value = done), ct);
                task.Value = job.Dataset.Count;
            });
        CocoSummaryPrinter.Print(r.Coco);
        PrintTable(r.Validation.Metrics, r.Classes);
        var m = r.Validation.Metrics;
        double seconds = r.Elapsed.TotalSeconds;
        AnsiConsole.MarkupLine($"{m.Images} images in {seconds:0.0} s ({m.Images / Math.Max(seconds, 1e-9):0.0} img/s); " +
                               $"RSS {r.RssFirstBatch / 1048576.0:0} MiB at the first batch, {r.RssLastBatch / 1048576.0:0} MiB at the last");
        AnsiConsole.MarkupLine($"results saved to [green]{Markup.Escape(r.OutDir)}[/]");
        return 0;
    }

    static void PrintTable(ValMetrics m, IReadOnlyList<ClassReportRow> rows)
    {
        static string F(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);
        var table = new Table().Border(TableBorder.Simple);
        table.AddColumn("Class");
        foreach (var c in new[] { "Images", "Instances", "P", "R", "mAP50", "mAP50-95" }) table.AddColumn(new TableColumn(c).RightAligned());
        table.AddRow("[bold]all[/]", m.Images.ToString(CultureInfo.InvariantCulture), m.Instances.ToString(CultureInfo.InvariantCulture),
            F(m.MP), F(m.MR), F(m.Map50), F(m.Map));
        foreach (var r in rows)
            table.AddRow(Markup.Escape(r.Name), r.Images.ToString(CultureInfo.InvariantCulture), r.Instances.ToString(CultureInfo.InvariantCulture),
                F(r.P), F(r.R), F(r.Map50), F(r.Map5095));
        AnsiConsole.Write(table);
    }
}
