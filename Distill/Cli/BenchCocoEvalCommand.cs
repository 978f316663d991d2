using YoloDistill.Detector.Common;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using YoloDistill.Detector.Evaluation;

namespace YoloDistill.Distill.Cli;

/// <summary>
/// yolo-distill bench cocoeval: median time of the COCO evaluator, with and without reading the json files, after one
/// warm-up run so the JIT is out of the measurement (pycocotools' 1.08 s figure is evaluate+accumulate+summarize).
/// </summary>
public static class BenchCocoEvalCommand
{
    public static Command Create()
    {
        var annotations = new Option<FileInfo>("--annotations") { Description = "COCO instances json (ground truth)", Required = true };
        var detections = new Option<FileInfo>("--detections") { Description = "COCO results json", Required = true };
        var repeat = new Option<int>("--repeat") { Description = "Timed runs", DefaultValueFactory = _ => 20 };
        var output = new Option<FileInfo?>("--out") { Description = "Result json (default runs/bench/cocoeval.json)" };
        var cmd = new Command("cocoeval", "Time of the COCO evaluator on a detection file");
        cmd.Options.Add(annotations);
        cmd.Options.Add(detections);
        cmd.Options.Add(repeat);
        cmd.Options.Add(output);
        cmd.SetAction((pr, ct) =>
        {
            string gtPath = pr.GetValue(annotations)!.FullName, dtPath = pr.GetValue(detections)!.FullName;
            int n = pr.GetValue(repeat);
            if (n < 1) throw new ArgumentException("--repeat must be at least 1");
            var evaluator = new CocoEvaluator();
            var gt = CocoGroundTruth.Load(gtPath);
            var dt = CocoDetections.Load(dtPath, gt);
            var stats = evaluator.Evaluate(gt, dt).Stats; // warm-up
            var evalMs = new double[n];
            var totalMs = new double[n];
            var evalCpuMs = new double[n];
            var proc = Process.GetCurrentProcess();
            for (int i = 0; i < n; i++)
            {
                ct.ThrowIfCancellationRequested();
                // CPU time beside wall time: on a shared machine it is the steadier of the two.
                proc.Refresh();
                var cpu0 = proc.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                evaluator.Evaluate(gt, dt);
                evalMs[i] = sw.Elapsed.TotalMilliseconds;
                proc.Refresh();
                evalCpuMs[i] = (proc.TotalProcessorTime - cpu0).TotalMilliseconds;
                sw.Restart();
                evaluator.Evaluate(gtPath, dtPath);
                totalMs[i] = sw.Elapsed.TotalMilliseconds;
            }
            double evalMed = SampleStats.MedianOf(evalMs), totalMed = SampleStats.MedianOf(totalMs);
            var table = new Table().AddColumn("measure").AddColumn(new TableColumn("median ms").RightAligned()).AddColumn(new TableColumn("min ms").RightAligned());
            table.AddRow("evaluate+accumulate+summarize", F(evalMed), F(evalMs.Min()));
            table.AddRow("evaluate, CPU time (all threads)", F(SampleStats.MedianOf(evalCpuMs)), F(evalCpuMs.Min()));
            table.AddRow("including json loading", F(totalMed), F(totalMs.Min()));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"AP = {stats[0]:F6}, {n} runs, {Environment.ProcessorCount} cores");

            var path = pr.GetValue(output)?.FullName ?? Path.GetFullPath(Path.Combine("runs", "bench", "cocoeval.json"));
            BenchReport.Write(path, "cocoeval", new
            {
                annotations = gtPath, detections = dtPath, repeat = n,
                eval_ms_median = evalMed, eval_ms_min = evalMs.Min(), eval_cpu_ms_median = SampleStats.MedianOf(evalCpuMs), with_load_ms_median = totalMed, with_load_ms_min = totalMs.Min(),
                stats,
            });
            return Task.FromResult(0);
        });
        return cmd;
    }

    static string F(double ms) => ms.ToString("F1", CultureInfo.InvariantCulture);
}
