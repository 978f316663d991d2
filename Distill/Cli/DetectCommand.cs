using YoloDistill.Detector.Common;
using System.CommandLine;
using OpenCvSharp;
using Spectre.Console;
using YoloDistill.Detector.Inference;

namespace YoloDistill.Distill.Cli;

/// <summary>
/// yolo-distill detect (Ultralytics detect.py): boxes on an image, a folder, a video or a camera; annotated images or
/// mp4 files and detections.csv in runs/detect/expN.
/// </summary>
public static class DetectCommand
{
    public static Command Create()
    {
        var weights = new Option<string>("--weights") { Description = "Weights (.pt, .safetensors, .ckpt) or an exported .onnx model", Required = true };
        var source = new Option<string>("--source") { Description = "Image, folder, video file or camera index (0, 1, ...)", Required = true };
        var conf = new Option<double>("--conf") { Description = "Confidence threshold", DefaultValueFactory = _ => 0.25 };
        var iou = new Option<double>("--iou") { Description = "NMS IoU threshold", DefaultValueFactory = _ => 0.45 };
        var maxDet = new Option<int>("--max-det") { Description = "Most detections per image", DefaultValueFactory = _ => 1000 };
        var backend = new Option<string>("--backend") { Description = "torch (fused TorchSharp model) or onnx (ONNX Runtime; weights are exported first unless an .onnx is given)" };
        backend.AcceptOnlyFromAmong("torch", "onnx");
        var img = SharedOptions.Img("Inference size (pixels)");
        var device = SharedOptions.Device();
        var output = new Option<string?>("--out") { Description = "Output folder (default runs/detect/exp, exp2, ...)" };
        var threads = SharedOptions.Threads();
        var view = new Option<bool>("--view") { Description = "Show annotated frames in a window while running (needs a display)" };

        var cmd = new Command("detect", "Run a detector on images, folders, videos or a camera; write annotated copies and detections.csv");
        var project = SharedOptions.Project();
        var name = SharedOptions.Name();
        foreach (var o in new Option[] { weights, source, conf, iou, maxDet, backend, img, device, threads, project, name, output, view }) cmd.Options.Add(o);
        cmd.SetAction((pr, ct) =>
        {
            var w = pr.GetValue(weights)!;
            var src = MediaSource.Open(pr.GetValue(source)!);
            var outDir = RunDirectory.Resolve(pr.GetValue(output), "detect", pr.GetValue(project)!, pr.GetValue(name)!);
            int nThreads = pr.GetValue(threads);
            if (nThreads > 0) TorchSharp.torch.set_num_threads(nThreads);
            using var detector = YoloDetector.Load(w, new DetectorOptions
            {
                Backend = BackendLoader.ParseBackend(pr.GetValue(backend)),
                Device = pr.GetValue(device),
                // Without --img a fixed-size ONNX model runs at its own size; an explicit --img must fit it.
                ImageSize = pr.GetResult(img) is { Implicit: false } ? pr.GetValue(img) : null,
                Confidence = pr.GetValue(conf),
                Iou = pr.GetValue(iou),
                MaxDetections = pr.GetValue(maxDet),
                Threads = nThreads,
                OnnxExportDirectory = Path.Combine(outDir, "weights"),
            });
            Action<string, Mat>? show = pr.GetValue(view) ? Show : null;

            DetectSummary summary = null!;
            try
            {
                AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask($"detect ({detector.BackendName})", maxValue: 1);
                        var progress = new InlineProgress<DetectProgress>(p =>
                        {
                            if (p.Total is { } total) { task.MaxValue = Math.Max(total, p.Done); task.Value = p.Done; }
                            else task.IsIndeterminate = true;
                            task.Description = $"{Markup.Escape(Path.GetFileName(p.Source))} {p.Done} frames, {p.Fps:0.0} fps";
                        });
                        summary = new DetectJob(detector).Run(src, outDir, progress, show, ct);
                        task.Value = task.MaxValue;
                    });
            }
            finally
            {
                if (show is not null) Cv2.DestroyAllWindows();
            }
            if (summary.Stopped) throw Stopped(summary, outDir);
            Report(summary, outDir, detector.BackendName);
            return Task.FromResult(0);
        });
        return cmd;
    }

    /// <summary>A stopped run's files are whole: the videos finalised, detections.csv complete, up to the last frame done.</summary>
    static Interruption Stopped(DetectSummary s, string outDir)
    {
        var written = s.Outputs.Count == 1 ? Interruption.Show(s.Outputs[0]) : $"{s.Outputs.Count} annotated file(s) in {Interruption.Show(outDir)}";
        return new Interruption(s.TotalFrames is { } n ? $"after {s.Frames} of {n} frames" : $"after {s.Frames} frames",
            $"{written} (finalised) and {Interruption.Show(s.CsvPath)} hold every frame up to there", Interruption.SameCommand);
    }

    static void Show(string source, Mat frame)
    {
        try
        {
            Cv2.ImShow("yolo-distill detect", frame);
            Cv2.WaitKey(1);
        }
        catch (OpenCVException e)
        {
            throw new UserFacingException($"--view: cannot open a window ({e.Message}); run without --view on a machine without a display.", e);
        }
    }

    static void Report(DetectSummary s, string outDir, string backend)
    {
        var t = new Table().Border(TableBorder.Rounded).AddColumn("class").AddColumn(new TableColumn("boxes").RightAligned());
        foreach (var (name, n) in s.PerClass.OrderByDescending(kv => kv.Value)) t.AddRow(Markup.Escape(name), n.ToString());
        if (s.PerClass.Count > 0) AnsiConsole.Write(t);
        AnsiConsole.MarkupLine($"{s.Frames} frames, {s.Detections} detections ({backend}); speed per image: " +
                               $"{s.MeanPreprocessMs:0.0} ms pre-process, {s.MeanInferenceMs:0.0} ms inference, {s.MeanNmsMs:0.0} ms NMS; {s.Fps:0.0} fps overall");
        AnsiConsole.MarkupLine($"Results saved to [bold]{Markup.Escape(outDir)}[/] (detections.csv{(s.Outputs.Count > 0 ? $", {s.Outputs.Count} annotated file(s)" : "")})");
    }
}
