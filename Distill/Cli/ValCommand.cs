using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using TorchSharp;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Evaluation;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Weights;

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
        foreach (var o in new Option[] { data, split, weights, model, img, batch, conf, iou, maxDet, device, workers, output, noPlots }) cmd.Options.Add(o);
        cmd.SetAction((pr, ct) => Task.FromResult(Run(new ValArgs(
            pr.GetValue(data)!, pr.GetValue(split)!, pr.GetValue(weights)!, pr.GetValue(model), pr.GetValue(img), pr.GetValue(batch),
            pr.GetValue(conf), pr.GetValue(iou), pr.GetValue(maxDet), pr.GetValue(device), pr.GetValue(workers), pr.GetValue(output),
            !pr.GetValue(noPlots)), ct)));
        return cmd;
    }

    sealed record ValArgs(string Data, string Split, string Weights, string? Model, int Img, int Batch, double Conf, double Iou,
        int MaxDet, string? Device, int Workers, string? Out, bool Plots);

    static int Run(ValArgs a, CancellationToken ct)
    {
        if (a.Batch < 1) throw new ArgumentException($"--batch {a.Batch}: must be at least 1.");
        if (a.Img < 32) throw new ArgumentException($"--img {a.Img}: must be at least 32.");
        if (a.Workers < 1) throw new ArgumentException($"--workers {a.Workers}: must be at least 1.");
        if (!File.Exists(a.Weights)) throw new FileNotFoundException($"{a.Weights}: weights file not found.", a.Weights);
        var dataset = CocoDataset.Load(a.Data, a.Split);
        var dev = DeviceSelector.Parse(a.Device);

        // Loaded on the CPU and fused there before moving, as before the shared loader.
        using var net = ModelLoader.Load(a.Weights, modelHint: a.Model,
            warn: note => AnsiConsole.MarkupLine($"[yellow]--model {Markup.Escape(note)}[/]"));
        if (net.Config.Nc != dataset.NumClasses)
            throw new InvalidDataException($"{a.Weights}: the model has {net.Config.Nc} classes but {dataset.AnnotationsPath} has {dataset.NumClasses} categories.");
        net.Fuse();
        net.to(dev);
        int stride = net.Config.Strides.Max();
        int imgSize = (a.Img + stride - 1) / stride * stride; // check_img_size: a multiple of the largest stride
        if (imgSize != a.Img) AnsiConsole.MarkupLine($"[yellow]--img {a.Img} must be a multiple of max stride {stride}, updating to {imgSize}[/]");

        var outDir = RunDirectory.Resolve(a.Out, "val");
        AnsiConsole.MarkupLine($"val: [bold]{Markup.Escape(net.Config.ModelName)}[/] from {Markup.Escape(a.Weights)} on {dataset.Count} images of " +
                               $"{Markup.Escape(dataset.ImagesDir)} at {imgSize}, batch {a.Batch}, {Markup.Escape(dev.ToString())}");

        using var loader = new DetectionLoader(dataset, LoaderOptions.Validation(imgSize, a.Batch, a.Workers));
        var validator = new Validator(new ValidatorOptions { ConfThres = a.Conf, IouThres = a.Iou, MaxDet = a.MaxDet });
        long rssFirst = 0, rssLast = 0;
        var clock = Stopwatch.StartNew();
        Detector.Evaluation.ValidationResult result = null!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ImagesPerSecondColumn(),
                     new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("val", maxValue: dataset.Count);
                var progress = new InlineProgress<int>(batches =>
                {
                    long rss = Environment.WorkingSet;
                    if (batches == 1) rssFirst = rss;
                    rssLast = rss;
                    task.Value = Math.Min((long)batches * a.Batch, dataset.Count);
                });
                result = validator.Run(net, loader, dataset.ClassToCategoryId, progress, ct);
                task.Value = dataset.Count;
            });
        double seconds = clock.Elapsed.TotalSeconds;

        var predictionsPath = Path.Combine(outDir, "predictions.json");
        Validator.WriteCocoJson(result.Predictions, predictionsPath);
        var coco = new CocoEvaluator().Evaluate(dataset.AnnotationsPath, predictionsPath);
        CocoSummaryPrinter.Print(coco);

        var m = result.Metrics;
        var rows = ValReport.Rows(m, dataset.Names);
        PrintTable(m, rows);
        ValReport.WriteStatsJson(Path.Combine(outDir, "stats.json"), m, rows, coco.Stats);
        ValReport.WritePerClassCsv(Path.Combine(outDir, "per_class.csv"), m, rows);
        if (a.Plots) WritePlots(outDir, result, dataset.Names);

        AnsiConsole.MarkupLine($"{m.Images} images in {seconds:0.0} s ({m.Images / Math.Max(seconds, 1e-9):0.0} img/s); " +
                               $"RSS {rssFirst / 1048576.0:0} MiB at the first batch, {rssLast / 1048576.0:0} MiB at the last");
        AnsiConsole.MarkupLine($"results saved to [green]{Markup.Escape(outDir)}[/]");
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

    static void WritePlots(string outDir, Detector.Evaluation.ValidationResult result, IReadOnlyList<string> names)
    {
        var byClass = names.Select((n, i) => (n, i)).ToDictionary(x => x.i, x => x.n);
        if (result.Metrics.Curves is { } curves)
        {
            MetricPlots.PrCurve(curves, Path.Combine(outDir, "PR_curve.png"), byClass);
            MetricPlots.F1Curve(curves, Path.Combine(outDir, "F1_curve.png"), byClass);
            MetricPlots.MetricConfidenceCurve(curves, curves.PCurve, "Precision", Path.Combine(outDir, "P_curve.png"), byClass);
            MetricPlots.MetricConfidenceCurve(curves, curves.RCurve, "Recall", Path.Combine(outDir, "R_curve.png"), byClass);
        }
        MetricPlots.ConfusionMatrix(result.ConfusionMatrix, Path.Combine(outDir, "confusion_matrix.png"), names);
    }
}
