using TorchSharp.Modules;
using YoloDistill.Detector.Common;

namespace YoloDistill.Detector.Training;

/// <summary>
/// train.py's warmup over the first nw = max(round(warmup_epochs * nb), 100) iterations (ni &lt;= nw): every group's lr
/// goes linearly from 0 (the bias group 0: from warmup_bias_lr) to initial_lr * lf(epoch), SGD momentum from
/// warmup_momentum to momentum, and the gradient accumulation from 1 to nbs / batch_size batches.
/// </summary>
public static class Warmup
{
    /// <summary>Python round (half to even), never fewer than 100 iterations.</summary>
    public static int Iterations(double warmupEpochs, int batchesPerEpoch) =>
        Math.Max((int)Math.Round(warmupEpochs * batchesPerEpoch, MidpointRounding.ToEven), 100);

    /// <summary>np.interp(x, [x0, x1], [y0, y1]) with numpy's formula and clamping.</summary>
    public static double Interp(double x, double x0, double x1, double y0, double y1)
    {
        if (x <= x0) return y0;
        if (x >= x1) return y1;
        double slope = (y1 - y0) / (x1 - x0);
        return slope * (x - x0) + y0;
    }

    public static double GroupLr(long ni, int nw, int group, double initialLr, double lf, Hyp hyp) =>
        Interp(ni, 0, nw, group == 0 ? hyp.WarmupBiasLr : 0.0, initialLr * lf);

    public static double Momentum(long ni, int nw, Hyp hyp) => Interp(ni, 0, nw, hyp.WarmupMomentum, hyp.Momentum);

    /// <summary>max(1, np.interp(ni, [0, nw], [1, nbs / batch]).round()), numpy rounding half to even.</summary>
    public static int Accumulate(long ni, int nw, int batchSize) =>
        Math.Max(1, (int)Math.Round(Interp(ni, 0, nw, 1, TrainOptions.NominalBatchSize / (double)batchSize), MidpointRounding.ToEven));

    /// <summary>Sets every group's lr (and SGD momentum) for iteration ni of epoch; returns the accumulation to use.</summary>
    public static int Apply(OptimizerHelper optimizer, long ni, int nw, int epoch, LrSchedule schedule, Hyp hyp, int batchSize)
    {
        double lf = schedule.Factor(epoch);
        int j = 0;
        foreach (var g in optimizer.ParamGroups)
            g.LearningRate = GroupLr(ni, nw, j++, g.InitialLearningRate, lf, hyp);
        OptimizerFactory.SetMomentum(optimizer, Momentum(ni, nw, hyp));
        return Accumulate(ni, nw, batchSize);
    }

    /// <summary>What LambdaLR.step() leaves for an epoch after warmup: lr = initial_lr * lf(epoch) in every group.</summary>
    public static void ApplyEpoch(OptimizerHelper optimizer, int epoch, LrSchedule schedule)
    {
        double lf = schedule.Factor(epoch);
        foreach (var g in optimizer.ParamGroups) g.LearningRate = g.InitialLearningRate * lf;
    }
}
