using YoloDistill.Detector.Common;
using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using YoloDistill.Detector.Inference;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Cli;

/// <summary>yolo-distill bench infer: batch-1 forward latency of the fused torch model and of its ONNX export, medians written to a file.</summary>
public static class BenchInferCommand
{
    public static Command Create()
    {
        var weights = new Option<string>("--weights") { Description = "Weights (.pt, .safetensors, .ckpt)", Required = true };
        var img = SharedOptions.Img("Square input size");
        var runs = new Option<int>("--runs") { Description = "Timed forwards per backend (after 5 warm-up runs)", DefaultValueFactory = _ => 50 };
        var backends = new Option<string[]>("--backends") { Description = "Backends to time", DefaultValueFactory = _ => ["torch", "onnx"], AllowMultipleArgumentsPerToken = true };
        var threads = SharedOptions.Threads();
        var output = new Option<string?>("--out") { Description = "Result file (JSON; default runs/bench/infer_<weights>_<img>.json)" };

        var cmd = new Command("infer", "Inference latency per frame at batch 1 (torch fused and onnx backends), medians written to a file");
        foreach (var o in new Option[] { weights, img, runs, backends, threads, output }) cmd.Options.Add(o);
        cmd.SetAction((pr, ct) =>
        {
            var w = pr.GetValue(weights)!;
            if (!File.Exists(w)) throw new FileNotFoundException($"{w}: weights file not found.", w);
            int size = pr.GetValue(img), n = pr.GetValue(runs);
            var outPath = pr.GetValue(output) ?? Path.Combine("runs", "bench", $"infer_{Path.GetFileNameWithoutExtension(w)}_{size}.json");
            var work = Path.Combine(Path.GetTempPath(), $"yolo-distill-bench-{Environment.ProcessId}");
            var results = new List<LatencyResult>();
            int nThreads = pr.GetValue(threads);
            if (nThreads > 0) set_num_threads(nThreads);
            try
            {
                foreach (var b in pr.GetValue(backends)!)
                {
                    using var be = BackendLoader.Open(w, BackendLoader.ParseBackend(b), size, "cpu", nThreads, work);
                    AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn()).Start(ctx =>
                    {
                        var task = ctx.AddTask($"{b} {size}x{size}", maxValue: n);
                        results.Add(InferenceBench.Measure(be, size, n, progress: new InlineProgress<int>(i => task.Value = i, ct)));
                    });
                }
            }
            finally
            {
                if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
            }

            var t = new Table().Border(TableBorder.Rounded).AddColumns("backend", "median ms", "min ms", "p90 ms", "runs");
            foreach (var r in results) t.AddRow(r.Backend, $"{r.MedianMs:0.0}", $"{r.MinMs:0.0}", $"{r.P90Ms:0.0}", r.Runs.ToString());
            AnsiConsole.Write(t);

            var report = new
            {
                weights = Path.GetFullPath(w),
                img = size,
                batch = 1,
                threads_option = nThreads,
                note = "forward only (fused Conv+BN for torch; ONNX Runtime CPU, graph optimisations on); pre-processing and NMS excluded",
                results,
            };
            BenchReport.Write(outPath, "infer", report);
            return Task.FromResult(0);
        });
        return cmd;
    }
}
