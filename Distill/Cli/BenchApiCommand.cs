using YoloDistill.Detector.Common;
using System.CommandLine;
using System.Text.Json;
using OpenCvSharp;
using Spectre.Console;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Inference;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Cli;

/// <summary>
/// yolo-distill bench api: what a .NET caller of <see cref="YoloDetector"/> waits per frame (pre-processing, forward,
/// NMS), for each backend and input size, medians written to a file.
/// </summary>
public static class BenchApiCommand
{
    public static Command Create()
    {
        var weights = new Option<string>("--weights") { Description = "Model (.ckpt, .pt, .safetensors; exported to ONNX for the onnx backend)", Required = true };
        var image = new Option<string>("--image") { Description = "Image to detect on, every call", Required = true };
        var sizes = new Option<int[]>("--img") { Description = "Input sizes", DefaultValueFactory = _ => [320, 640], AllowMultipleArgumentsPerToken = true };
        var backends = new Option<string[]>("--backends") { Description = "Backends to time", DefaultValueFactory = _ => ["torch", "onnx"], AllowMultipleArgumentsPerToken = true };
        var runs = new Option<int>("--runs") { Description = "Timed calls per backend and size (after 3 warm-up calls)", DefaultValueFactory = _ => 30 };
        var threads = SharedOptions.Threads();
        var output = new Option<string?>("--out") { Description = "Result file (JSON; default runs/bench/api_<weights>.json)" };

        var cmd = new Command("api", "Per-frame latency of the .NET API (YoloDetector.Detect) for each backend and input size, medians written to a file");
        foreach (var o in new Option[] { weights, image, sizes, backends, runs, threads, output }) cmd.Options.Add(o);
        cmd.SetAction((pr, ct) =>
        {
            var w = pr.GetValue(weights)!;
            int n = pr.GetValue(runs), nThreads = pr.GetValue(threads);
            var outPath = pr.GetValue(output) ?? Path.Combine("runs", "bench", $"api_{Path.GetFileNameWithoutExtension(w)}.json");
            if (nThreads > 0) set_num_threads(nThreads);
            using var im = ImageLoading.Read(pr.GetValue(image)!);
            var results = new List<ApiLatencyResult>();
            foreach (var size in pr.GetValue(sizes)!)
            foreach (var b in pr.GetValue(backends)!)
            {
                using var detector = YoloDetector.Load(w, new DetectorOptions
                {
                    Backend = BackendLoader.ParseBackend(b), Device = "cpu", ImageSize = size, Threads = nThreads,
                });
                AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn()).Start(ctx =>
                {
                    var task = ctx.AddTask($"{b} {size}", maxValue: n);
                    results.Add(ApiLatency.Measure(detector, im, n, progress: new InlineProgress<int>(i => task.Value = i, ct)));
                });
            }

            var t = new Table().Border(TableBorder.Rounded).AddColumns("backend", "img", "median ms", "min ms", "p90 ms", "objects", "RSS +MB");
            foreach (var r in results)
                t.AddRow(r.Backend, r.ImgSize.ToString(), $"{r.MedianMs:0.0}", $"{r.MinMs:0.0}", $"{r.P90Ms:0.0}", r.Detections.ToString(), $"{r.RssGrowthMb:0.0}");
            AnsiConsole.Write(t);

            var report = new
            {
                weights = Path.GetFullPath(w),
                image = Path.GetFullPath(pr.GetValue(image)!),
                image_size = new[] { im.Cols, im.Rows },
                threads_option = nThreads,
                note = "YoloDetector.Detect(Mat) per call: letterbox (minimal padding for torch, square for the static ONNX export), forward, NMS, records",
                results,
            };
            BenchReport.Write(outPath, "api", report);
            return Task.FromResult(0);
        });
        return cmd;
    }
}
