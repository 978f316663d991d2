using TorchSharp;
using TorchSharp.Modules;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Training;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Training;

public class ScheduleTests
{
    [Fact]
    public void Linear_and_cosine_factors_match_train_py()
    {
        var lin = new LrSchedule(100, 0.01, cosine: false);
        Assert.Equal(1.0, lin.Factor(0), 12);
        Assert.Equal(0.9901, lin.Factor(1), 12);   // (1 - 1/100) * 0.99 + 0.01
        Assert.Equal(0.7525, lin.Factor(25), 12);
        Assert.Equal(0.505, lin.Factor(50), 12);
        Assert.Equal(0.01, lin.Factor(100), 12);
        var cos = new LrSchedule(100, 0.01, cosine: true);
        Assert.Equal(1.0, cos.Factor(0), 12);
        Assert.Equal(0.855017856687341, cos.Factor(25), 12); // ((1 - cos(pi/4)) / 2) * (0.01 - 1) + 1
        Assert.Equal(0.505, cos.Factor(50), 12);
        Assert.Equal(0.01, cos.Factor(100), 12);
    }

    [Fact]
    public void Warmup_iterations_use_python_round_and_a_floor_of_100()
    {
        Assert.Equal(100, Warmup.Iterations(3.0, 10));
        Assert.Equal(150, Warmup.Iterations(3.0, 50));
        Assert.Equal(112, Warmup.Iterations(2.5, 45)); // 112.5 rounds to even
        Assert.Equal(118, Warmup.Iterations(2.5, 47)); // 117.5 rounds to even
    }

    [Fact]
    public void Warmup_lr_and_momentum_at_given_iterations()
    {
        var hyp = new Hyp();
        // Bias group 0 falls from warmup_bias_lr 0.1 to lr0*lf; the others rise from 0.
        Assert.Equal(0.1, Warmup.GroupLr(0, 100, 0, 0.01, 1.0, hyp), 12);
        Assert.Equal(0.0775, Warmup.GroupLr(25, 100, 0, 0.01, 1.0, hyp), 12);
        Assert.Equal(0.055, Warmup.GroupLr(50, 100, 0, 0.01, 1.0, hyp), 12);
        Assert.Equal(0.005, Warmup.GroupLr(50, 100, 1, 0.01, 1.0, hyp), 12);
        Assert.Equal(0.0025, Warmup.GroupLr(25, 100, 2, 0.01, 1.0, hyp), 12);
        Assert.Equal(0.01, Warmup.GroupLr(100, 100, 2, 0.01, 1.0, hyp), 12);
        // In epoch 1 of 100 the target is lr0 * lf(1) = 0.01 * 0.9901.
        Assert.Equal(0.1 + 0.5 * (0.009901 - 0.1), Warmup.GroupLr(50, 100, 0, 0.01, 0.9901, hyp), 12);
        Assert.Equal(0.8, Warmup.Momentum(0, 100, hyp), 12);
        Assert.Equal(0.83425, Warmup.Momentum(25, 100, hyp), 12);
        Assert.Equal(0.8685, Warmup.Momentum(50, 100, hyp), 12);
        Assert.Equal(0.937, Warmup.Momentum(100, 100, hyp), 12);
    }

    [Fact]
    public void Warmup_accumulation_rounds_half_to_even()
    {
        // batch 16: np.interp(ni, [0, 100], [1, 4]).round()
        Assert.Equal(1, Warmup.Accumulate(0, 100, 16));
        Assert.Equal(1, Warmup.Accumulate(16, 100, 16));  // 1.48
        Assert.Equal(2, Warmup.Accumulate(17, 100, 16));  // 1.51
        Assert.Equal(2, Warmup.Accumulate(50, 100, 16));  // 2.5 -> 2
        Assert.Equal(3, Warmup.Accumulate(83, 100, 16));  // 3.49
        Assert.Equal(4, Warmup.Accumulate(84, 100, 16));  // 3.52
        Assert.Equal(4, Warmup.Accumulate(100, 100, 16));
        Assert.Equal(1, Warmup.Accumulate(100, 100, 64));
    }

    [Fact]
    public void Apply_sets_lr_per_group_and_sgd_momentum_on_the_optimizer()
    {
        using var net = TinyNet.Create();
        var groups = OptimizerFactory.Classify(net);
        using var opt = OptimizerFactory.Create(OptimizerKind.SGD, groups, 0.01, 0.937, 0.0005);
        int acc = Warmup.Apply(opt, 25, 100, 0, new LrSchedule(100, 0.01, false), new Hyp(), 16);
        Assert.Equal(2, acc); // 1.75 -> 2
        var lrs = opt.ParamGroups.Select(g => g.LearningRate).ToArray();
        Assert.Equal(0.0775, lrs[0], 12);
        Assert.Equal(0.0025, lrs[1], 12);
        Assert.Equal(0.0025, lrs[2], 12);
        for (int j = 0; j < 3; j++) Assert.Equal(0.83425, OptimizerFactory.GetMomentum(opt, j)!.Value, 12);
        Warmup.ApplyEpoch(opt, 50, new LrSchedule(100, 0.01, false));
        Assert.All(opt.ParamGroups, g => Assert.Equal(0.00505, g.LearningRate, 12));
    }
}
