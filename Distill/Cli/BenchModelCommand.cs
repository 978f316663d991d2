using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Spectre.Console;
using TorchSharp;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Weights;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Cli;

/// <summary>
/// yolo-distill bench model: Ultralytics' layer table, parameters and GFLOPs of a scale, and the median forward
/// time (eval, no grad) of the model as built and after Conv+BN fusion; results go to a JSON file.
/// </summary>
public static class BenchModelCommand
{
    public sealed record Timing(string Variant, long Parameters, double GFlops, double MedianMs, double MinMs, double[] RunsMs);

    public sealed record Result(string Model, int Nc, int Img, int Batch, string Device, int Threads, int Warmup, Timing[] Variants);

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "yolov5n, yolov5s, yolov5m, yolov5l or yolov5x", DefaultValueFactory = _ => "yolov5s" };
        var img = SharedOptions.Img("square input size in pixels (multiple of 32)");
        var nc = new Option<int>("--nc") { Description = "number of classes", DefaultValueFactory = _ => 80 };
        var batch = new Option<int>("--batch") { Description = "batch size for the timed forward passes", DefaultValueFactory = _ => 1 };
        var runs = new Option<int>("--runs") { Description = "timed forward passes per variant (0: counts only)", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "untimed passes before timing", DefaultValueFactory = _ => 3 };
        var device = SharedOptions.Device();
        var threads = SharedOptions.Threads();
        var layers = new Option<bool>("--layers") { Description = "print Ultralytics' per-layer table" };
        var weights = new Option<string?>("--weights") { Description = "state dict (.safetensors, Ultralytics keys) to time real weights; default: random init with BN statistics calibrated" };
        var output = new Option<string?>("--out") { Description = "result file (.json); default runs/bench/expN/model_<name>_<img>.json" };
        var cmd = new Command("model", "Parameters, GFLOPs and forward time of a model scale (unfused, fused, fused in bfloat16)");
        foreach (var o in new Option[] { model, img, nc, batch, runs, warmup, device, threads, layers, weights, output }) cmd.Options.Add(o);
        cmd.SetAction((pr, ct) =>
        {
            int size = pr.GetValue(img), n = pr.GetValue(runs), w = pr.GetValue(warmup), bs = pr.GetValue(batch), th = pr.GetValue(threads);
            if (size <= 0 || size % 32 != 0) throw new ArgumentException($"--img {size}: must be a positive multiple of 32.");
            if (bs <= 0) throw new ArgumentException($"--batch {bs}: must be positive.");
            if (n < 0 || w < 0) throw new ArgumentException("--runs and --warmup must not be negative.");
            var cfg = ModelConfig.FromName(pr.GetValue(model)!, pr.GetValue(nc));
            var dev = DeviceSelector.Parse(pr.GetValue(device));
            if (th > 0) torch.set_num_threads(th);

            using var m = new YoloModel(cfg);
            var wfile = pr.GetValue(weights);
            if (!string.IsNullOrWhiteSpace(wfile))
            {
                using var f = SafeTensors.Load(wfile);
                m.LoadStateDictStrict(f.Tensors, wfile);
            }
            m.to(dev);
            if (string.IsNullOrWhiteSpace(wfile)) CalibrateBatchNorm(m, size, dev);
            m.eval();
            if (pr.GetValue(layers)) PrintLayers(m);

            var results = new List<Timing>();
            results.Add(Measure("unfused", m, size, bs, n, w, dev, ct));
            m.Fuse();
            results.Add(Measure("fused", m, size, bs, n, w, dev, ct));
            m.to(ScalarType.BFloat16);
            results.Add(Measure("fused bfloat16", m, size, bs, n, w, dev, ct, ScalarType.BFloat16));

            var table = new Table().Title($"{cfg.ModelName} nc={cfg.Nc} img={size} batch={bs} on {dev.type} ({torch.get_num_threads()} threads)");
            table.AddColumns("variant", "parameters", "GFLOPs", "median ms", "min ms");
            foreach (var r in results)
                table.AddRow(r.Variant, r.Parameters.ToString("N0"), r.GFlops.ToString("F1"),
                    n > 0 ? r.MedianMs.ToString("F1") : "-", n > 0 ? r.MinMs.ToString("F1") : "-");
            AnsiConsole.Write(table);

            var result = new Result(cfg.ModelName, cfg.Nc, size, bs, dev.ToString(), torch.get_num_threads(), w, results.ToArray());
            var file = pr.GetValue(output);
            if (string.IsNullOrWhiteSpace(file))
                file = Path.Combine(RunDirectory.Resolve(null, "bench"), $"model_{cfg.ModelName}_{size}.json");
            BenchReport.Write(file, "model", result);
            return Task.FromResult(0);
        });
        return cmd;
    }

    static Timing Measure(string variant, YoloModel m, int size, int bs, int runs, int warmup, Device dev, CancellationToken ct, ScalarType dtype = ScalarType.Float32)
    {
        var (p, g) = ModelSummary.Count(m, size);
        var times = new double[runs];
        if (runs > 0)
        {
            using var _ = no_grad();
            using var x = rand(bs, 3, size, size, device: dev, dtype: dtype);
            for (int i = 0; i < warmup + runs; i++)
            {
                ct.ThrowIfCancellationRequested();
                var sw = Stopwatch.StartNew();
                using (var y = m.forward(x))
                    if (dev.type == DeviceType.CUDA) torch.cuda.synchronize();
                sw.Stop();
                if (i >= warmup) times[i - warmup] = sw.Elapsed.TotalMilliseconds;
            }
        }
        var stats = SampleStats.Of(times);
        return new Timing(variant, p, g, runs == 0 ? 0 : stats.Median, runs == 0 ? 0 : stats.Min, times);
    }

    /// <summary>
    /// Freshly initialised weights shrink activations layer by layer until they become denormal floats, which the CPU
    /// handles 10-100x slower; taking BN running statistics from one random batch keeps them normal, like trained weights.
    /// </summary>
    static void CalibrateBatchNorm(YoloModel m, int size, Device dev)
    {
        var bns = m.modules().OfType<TorchSharp.Modules.BatchNorm2d>().ToArray();
        foreach (var bn in bns) bn.momentum = 1.0;
        m.train();
        using (no_grad())
        using (var x = rand(2, 3, size, size, device: dev))
        using (m.forward(x)) { }
        foreach (var bn in bns) bn.momentum = Conv.BnMomentum;
    }

    static void PrintLayers(YoloModel m)
    {
        var t = new Table();
        t.AddColumns("", "from", "n", "params", "module", "arguments");
        foreach (var r in ModelSummary.Layers(m))
            t.AddRow(r.Index.ToString(), Markup.Escape(r.From), r.Repeats.ToString(), r.Parameters.ToString("N0"), Markup.Escape(r.Module), Markup.Escape(r.Arguments));
        AnsiConsole.Write(t);
    }
}
