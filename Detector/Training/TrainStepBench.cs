using System.Diagnostics;
using TorchSharp;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Evaluation;
using YoloDistill.Detector.Loss;
using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Training;

/// <summary>Timing of one training step as train.py runs it (forward, ComputeLoss, backward, SGD step) on random data.</summary>
public sealed record TrainStepTiming(string Model, int Batch, int Img, string Device, int Threads, double MedianSeconds, double MinSeconds, double MaxSeconds,
                                     double[] StepSeconds, double ForwardMedianSeconds, double LossMedianSeconds, double BackwardMedianSeconds, double OptimizerMedianSeconds);

/// <summary>
/// Timing of the trainer's own step (<see cref="TrainingStep.Run"/>, built by <see cref="TrainingSetup"/> as a run is):
/// forward, detection loss, every extension's loss (e.g. distillation's teacher forward and terms), backward, and every
/// <see cref="Accumulate"/> batches the clip, optimizer step and EMA update. Steps are timed after the warm-up
/// iterations of the lr schedule, so accumulation is the run's steady one.
/// </summary>
/// <param name="Steps">Timed steps.</param>
/// <param name="Accumulate">Batches per optimizer step (train.py's accumulate).</param>
/// <param name="MedianSeconds">Median wall time of a step (the steps without an optimizer step, when most are).</param>
/// <param name="MeanSeconds">Mean wall time over the timed steps.</param>
/// <param name="PerBatchSeconds">
/// Wall time per batch of training: the median step without an optimizer step plus the median optimizer step's extra
/// time divided by <see cref="Accumulate"/> (the mean when the timed steps hold only one kind).
/// </param>
/// <param name="MedianCpuSeconds">Median process CPU time of a step (all threads).</param>
/// <param name="OptimizerSteps">How many of the timed steps ended in an optimizer step.</param>
/// <param name="StepSeconds">Wall time of each timed step.</param>
/// <param name="InstancesPerImage">Mean boxes per training image in the timed batches (after mosaic).</param>
public sealed record TrainerStepTiming(int Steps, int Accumulate, double MedianSeconds, double MeanSeconds, double PerBatchSeconds,
                                       double MedianCpuSeconds, int OptimizerSteps, double[] StepSeconds, double InstancesPerImage);

public static class TrainStepBench
{
    /// <summary>
    /// Times <paramref name="steps"/> calls of the trainer's step on the first batches of the run's loader (loaded once,
    /// then reused in turn, so data loading is not timed), after <paramref name="warmup"/> untimed ones.
    /// <paramref name="options"/> describe a run as for <see cref="Trainer"/> (its data, model, weights, clip; SaveDir
    /// only gets an empty weights folder); nothing is validated or saved.
    /// </summary>
    public static TrainerStepTiming MeasureTrainerStep(TrainOptions options, Hyp hyp, IReadOnlyList<ITrainingExtension> extensions, int steps = 10,
                                                       int warmup = 2, IProgress<int>? progress = null, CancellationToken ct = default)
    {
        if (steps < 1 || warmup < 0) throw new ArgumentException("steps must be at least 1 and warm-up not negative.");
        options.Validate();
        using var setup = new TrainingSetup(options, hyp, extensions, new NoValidation(), resume: null);
        var state = new RunState(options.Patience);
        var step = new TrainingStep(setup, extensions, state);
        step.BeginEpoch(0);
        int keep = Math.Min(setup.Loader.BatchCount, Math.Max(1, Math.Min(options.Accumulate, steps + warmup)));
        var batches = new List<DetectionBatch>();
        try
        {
            foreach (var b in setup.Loader.Epoch(0, options.Epochs, ct))
            {
                batches.Add(b);
                if (batches.Count == keep) break;
            }
            long ni0 = setup.WarmupIterations + 1;
            var wall = new List<double>();
            var cpu = new List<double>();
            var optimized = new List<bool>();
            using var proc = Process.GetCurrentProcess();
            for (int s = 0; s < warmup + steps; s++)
            {
                ct.ThrowIfCancellationRequested();
                var b = batches[s % batches.Count];
                long ni = ni0 + s;
                proc.Refresh();
                var c0 = proc.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                step.Run(b, 0, s, ni);
                Sync(setup.Device);
                double dt = sw.Elapsed.TotalSeconds;
                proc.Refresh();
                if (s >= warmup)
                {
                    wall.Add(dt);
                    cpu.Add((proc.TotalProcessorTime - c0).TotalSeconds);
                    optimized.Add(state.LastOptStep == ni);
                }
                progress?.Report(s + 1);
            }
            var plain = wall.Where((_, i) => !optimized[i]).ToArray();
            var withOpt = wall.Where((_, i) => optimized[i]).ToArray();
            int accumulate = options.Accumulate;
            double perBatch = plain.Length > 0 && withOpt.Length > 0
                ? Median(plain) + (Median(withOpt) - Median(plain)) / accumulate
                : wall.Average();
            double instances = batches.Average(b => b.Targets.shape[0] / (double)b.Count);
            return new TrainerStepTiming(steps, accumulate, Median(wall), wall.Average(), perBatch, Median(cpu), withOpt.Length, wall.ToArray(), instances);
        }
        finally
        {
            foreach (var b in batches) b.Dispose();
        }
    }

    static double Median(IEnumerable<double> xs) => SampleStats.MedianOf(xs);

    /// <summary>The bench validates nothing; <see cref="TrainingSetup"/> would otherwise load the val split.</summary>
    sealed class NoValidation : IEpochValidator
    {
        public ValidationResult Validate(YoloModel model, ComputeLoss computeLoss, CancellationToken ct = default) =>
            throw new InvalidOperationException("The step bench does not validate.");

        public void Dispose() { }
    }

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
        static double Med(IEnumerable<double> xs) => SampleStats.MedianOf(xs);
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
