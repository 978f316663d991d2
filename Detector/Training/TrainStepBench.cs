using System.Diagnostics;
using TorchSharp;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Loss;
using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Training;

/// <summary>Timing of one training step as train.py runs it (forward, ComputeLoss, backward, SGD step) on random data.</summary>
public sealed record TrainStepTiming(string Model, int Batch, int Img, string Device, int Threads, double MedianSeconds, double MinSeconds, double MaxSeconds,
                                     double[] StepSeconds, double ForwardMedianSeconds, double LossMedianSeconds, double BackwardMedianSeconds, double OptimizerMedianSeconds);

public static class TrainStepBench
{
    public static TrainStepTiming Measure(string model, int batch, int img, string device = "cpu", int steps = 10, int warmup = 3, int seed = 0,
                                          IProgress<int>? progress = null)
    {
        if (steps < 1 || warmup < 0) throw new ArgumentException("steps must be at least 1 and warm-up not negative.");
        var dev = DeviceSelector.Parse(device);
        var cfg = ModelConfig.FromName(model, 80);
        torch.manual_seed(seed);
        using var net = new YoloModel(cfg);
        net.to(dev);
        net.train();
        using var loss = new ComputeLoss(new Hyp().ScaledForModel(cfg.NumLevels, cfg.Nc, img), cfg);
        using var opt = OptimizerFactory.Create(OptimizerKind.SGD, OptimizerFactory.Classify(net), 0.01, 0.937, 0.0005);
        using var images = rand(new long[] { batch, 3, img, img }, generator: new Generator((ulong)seed + 1)).to(dev);
        using var targets = RandomTargets(batch, 6, cfg.Nc, seed).to(dev);
        var total = new List<double>();
        var parts = new List<double[]>();
        for (int s = 0; s < warmup + steps; s++)
        {
            using var scope = NewDisposeScope();
            var sw = Stopwatch.StartNew();
            opt.zero_grad();
            var output = net.forward(images);
            Sync(dev);
            double f = sw.Elapsed.TotalSeconds;
            var (l, _) = loss.Compute(output.Raw, targets);
            Sync(dev);
            double c = sw.Elapsed.TotalSeconds;
            l.backward();
            Sync(dev);
            double b = sw.Elapsed.TotalSeconds;
            opt.step();
            Sync(dev);
            double e = sw.Elapsed.TotalSeconds;
            if (s >= warmup)
            {
                total.Add(e);
                parts.Add([f, c - f, b - c, e - b]);
            }
            progress?.Report(s + 1);
        }
        double Med(IEnumerable<double> xs)
        {
            var a = xs.Order().ToArray();
            return a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
        }
        return new TrainStepTiming(cfg.ModelName, batch, img, dev.ToString(), get_num_threads(), Med(total), total.Min(), total.Max(), total.ToArray(),
            Med(parts.Select(p => p[0])), Med(parts.Select(p => p[1])), Med(parts.Select(p => p[2])), Med(parts.Select(p => p[3])));
    }

    /// <summary>n boxes per image, random classes and centred sizes, Ultralytics target layout.</summary>
    static Tensor RandomTargets(int batch, int perImage, int nc, int seed)
    {
        var rng = new Random(seed);
        var t = new float[batch * perImage * 6];
        for (int i = 0, k = 0; i < batch; i++)
            for (int j = 0; j < perImage; j++)
            {
                float w = 0.05f + 0.4f * (float)rng.NextDouble(), h = 0.05f + 0.4f * (float)rng.NextDouble();
                t[k++] = i; t[k++] = rng.Next(nc);
                t[k++] = w / 2 + (1 - w) * (float)rng.NextDouble(); t[k++] = h / 2 + (1 - h) * (float)rng.NextDouble();
                t[k++] = w; t[k++] = h;
            }
        return tensor(t, new long[] { batch * perImage, 6 });
    }

    static void Sync(Device d)
    {
        if (d.type == DeviceType.CUDA) torch.cuda.synchronize(d);
    }
}
