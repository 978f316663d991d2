using YoloDistill.Detector.Common;
using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using YoloDistill.Detector.Training;

namespace YoloDistill.Distill.Cli;

/// <summary>yolo-distill bench train-step: median time of a training step (forward, loss, backward, SGD step) on random data.</summary>
public static class BenchTrainStepCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "yolov5n ... yolov5x", DefaultValueFactory = _ => "yolov5n" };
        var batch = SharedOptions.Batch("Images per step");
        var img = SharedOptions.Img("Square input size");
        var steps = new Option<int>("--steps") { Description = "Timed steps (after 3 warm-up steps)", DefaultValueFactory = _ => 10 };
        var device = SharedOptions.Device();
        var threads = SharedOptions.Threads();
        var output = new Option<string?>("--out") { Description = "Result file (JSON; default runs/bench/train-step_<model>_b<batch>_<img>.json)" };
        var cmd = new Command("train-step", "Time of one training step (forward, loss, backward, optimizer), median written to a file");
        foreach (var o in new Option[] { model, batch, img, steps, device, threads, output }) cmd.Options.Add(o);
        cmd.SetAction((pr, ct) =>
        {
            string m = pr.GetValue(model)!;
            int b = pr.GetValue(batch), size = pr.GetValue(img), n = pr.GetValue(steps);
            if (pr.GetValue(threads) > 0) TorchSharp.torch.set_num_threads(pr.GetValue(threads));
            TrainStepTiming? r = null;
            AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn()).Start(ctx =>
            {
                var task = ctx.AddTask($"{m} batch {b} at {size}", maxValue: n + 3);
                r = TrainStepBench.Measure(m, b, size, pr.GetValue(device)!, n, 3, progress: new InlineProgress<int>(i => task.Value = i, ct));
            });
            var t = new Table().Border(TableBorder.Rounded).AddColumns("model", "batch", "img", "device", "threads", "median s", "min s", "max s", "fwd", "loss", "bwd", "opt");
            t.AddRow(r!.Model, b.ToString(), size.ToString(), r.Device, r.Threads.ToString(), $"{r.MedianSeconds:0.000}", $"{r.MinSeconds:0.000}",
                     $"{r.MaxSeconds:0.000}", $"{r.ForwardMedianSeconds:0.000}", $"{r.LossMedianSeconds:0.000}", $"{r.BackwardMedianSeconds:0.000}",
                     $"{r.OptimizerMedianSeconds:0.000}");
            AnsiConsole.Write(t);
            var outPath = pr.GetValue(output) ?? Path.Combine("runs", "bench", $"train-step_{m}_b{b}_{size}.json");
            BenchReport.Write(outPath, "train-step", new
            {
                result = r,
                note = "median of timed steps after 3 warm-up steps; forward + ComputeLoss + backward + SGD(nesterov) step; random images and 6 random boxes per image; fp32",
                pytorch_reference_seconds = m == "yolov5n" && b == 16 && size == 320 ? 0.636 : (double?)null,
            });
            return Task.FromResult(0);
        });
        return cmd;
    }
}
