using System.Diagnostics;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Weights;
using TorchSharp;

namespace YoloDistill.Detector.Evaluation;

/// <summary>What to evaluate and how: val.py's arguments with val.py's defaults (batch 16 here, as the coco128 reference used).</summary>
public sealed record ValJobOptions
{
    /// <summary>Dataset root in COCO layout.</summary>
    public required string Data { get; init; }
    public string Split { get; init; } = "val2017";
    /// <summary>Ultralytics .pt, .safetensors or this project's .ckpt.</summary>
    public required string Weights { get; init; }
    /// <summary>Architecture for weights that do not imply one (a bare state dict); weights that do win.</summary>
    public string? Model { get; init; }
    public int ImgSize { get; init; } = 640;
    /// <summary>It sets the rect batch shapes, so results depend on it.</summary>
    public int Batch { get; init; } = 16;
    public double ConfThres { get; init; } = 0.001;
    public double IouThres { get; init; } = 0.6;
    public int MaxDet { get; init; } = 300;
    public string Device { get; init; } = "auto";
    public int Workers { get; init; } = 8;
    public bool Plots { get; init; } = true;
}

/// <summary>What a val run measured and wrote.</summary>
public sealed record ValJobResult(
    ValidationResult Validation, CocoEvalResult Coco, IReadOnlyList<ClassReportRow> Classes, string OutDir, TimeSpan Elapsed,
    long RssFirstBatch, long RssLastBatch);

/// <summary>
/// val.py on a COCO-format split (rect batches, fused model, multi-label NMS, boxes in original image coordinates),
/// then pycocotools' COCOeval of the run's own predictions; writes predictions.json, stats.json, per_class.csv and the
/// PR / F1 / P / R / confusion-matrix plots. <see cref="Prepare"/> loads and checks everything first (the model, the
/// data, the image size), so a caller can show what will run before <see cref="Run"/>.
/// </summary>
public sealed class ValJob : IDisposable
{
    readonly ValJobOptions _o;
    readonly YoloModel _net;
    readonly List<string> _notes = [];

    ValJob(ValJobOptions o, CocoDataset dataset, YoloModel net, int imgSize, TorchSharp.torch.Device device)
    {
        _o = o;
        Dataset = dataset;
        _net = net;
        ImgSize = imgSize;
        Device = device;
    }

    public CocoDataset Dataset { get; }
    public string ModelName => _net.Config.ModelName;
    /// <summary>The size used: the requested one rounded up to a multiple of the largest stride (check_img_size).</summary>
    public int ImgSize { get; }
    public TorchSharp.torch.Device Device { get; }
    /// <summary>What was adjusted on the way (the image size, the model choice), for the caller to show.</summary>
    public IReadOnlyList<string> Notes => _notes;

    /// <summary>Checks the options, reads the split and loads the model; bad input throws naming the file or option.</summary>
    public static ValJob Prepare(ValJobOptions o)
    {
        if (o.Batch < 1) throw new ArgumentException($"--batch {o.Batch}: must be at least 1.");
        if (o.ImgSize < 32) throw new ArgumentException($"--img {o.ImgSize}: must be at least 32.");
        if (o.Workers < 1) throw new ArgumentException($"--workers {o.Workers}: must be at least 1.");
        if (!File.Exists(o.Weights)) throw new FileNotFoundException($"{o.Weights}: weights file not found.", o.Weights);
        var dataset = CocoDataset.Load(o.Data, o.Split);
        var dev = DeviceSelector.Parse(o.Device);
        var notes = new List<string>();
        // Loaded on the CPU and fused there before moving.
        var net = ModelLoader.Load(o.Weights, modelHint: o.Model, warn: note => notes.Add($"--model {note}"));
        try
        {
            if (net.Config.Nc != dataset.NumClasses)
                throw new InvalidDataException($"{o.Weights}: the model has {net.Config.Nc} classes but {dataset.AnnotationsPath} has {dataset.NumClasses} categories.");
            net.Fuse();
            net.to(dev);
            int stride = net.Config.Strides.Max();
            int imgSize = (o.ImgSize + stride - 1) / stride * stride;
            if (imgSize != o.ImgSize) notes.Add($"--img {o.ImgSize} must be a multiple of max stride {stride}, updating to {imgSize}");
            var job = new ValJob(o, dataset, net, imgSize, dev);
            job._notes.AddRange(notes);
            return job;
        }
        catch
        {
            net.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Validates, evaluates and writes predictions.json, stats.json, per_class.csv and the plots into
    /// <paramref name="outDir"/> (created); <paramref name="progress"/> gets the images done so far.
    /// </summary>
    public ValJobResult Run(string outDir, IProgress<int>? progress = null, CancellationToken ct = default)
    {
        Directory.CreateDirectory(outDir);
        using var loader = new DetectionLoader(Dataset, LoaderOptions.Validation(ImgSize, _o.Batch, _o.Workers));
        var validator = new Validator(new ValidatorOptions { ConfThres = _o.ConfThres, IouThres = _o.IouThres, MaxDet = _o.MaxDet });
        long rssFirst = 0, rssLast = 0;
        var clock = Stopwatch.StartNew();
        var batches = new InlineProgress<int>(b =>
        {
            long rss = Environment.WorkingSet;
            if (b == 1) rssFirst = rss;
            rssLast = rss;
            progress?.Report(Math.Min(b * _o.Batch, Dataset.Count));
        });
        var result = validator.Run(_net, loader, Dataset.ClassToCategoryId, batches, ct: ct);
        var elapsed = clock.Elapsed;

        var predictionsPath = Path.Combine(outDir, "predictions.json");
        Validator.WriteCocoJson(result.Predictions, predictionsPath);
        var coco = new CocoEvaluator().Evaluate(Dataset.AnnotationsPath, predictionsPath);
        var rows = ValReport.Rows(result.Metrics, Dataset.Names);
        ValReport.WriteStatsJson(Path.Combine(outDir, "stats.json"), result.Metrics, rows, coco.Stats);
        ValReport.WritePerClassCsv(Path.Combine(outDir, "per_class.csv"), result.Metrics, rows);
        if (_o.Plots) WritePlots(outDir, result, Dataset.Names);
        return new ValJobResult(result, coco, rows, outDir, elapsed, rssFirst, rssLast);
    }

    static void WritePlots(string outDir, ValidationResult result, IReadOnlyList<string> names)
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

    public void Dispose() => _net.Dispose();
}
