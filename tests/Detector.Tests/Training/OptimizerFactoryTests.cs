using TorchSharp;
using TorchSharp.Modules;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Training;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Training;

public class OptimizerFactoryTests
{
    [Fact]
    public void Groups_follow_smart_optimizer_bias_weight_norm_order()
    {
        using var net = TinyNet.Create();
        var g = OptimizerFactory.Classify(net);
        Assert.Equal(["1.bias", "2.bias"], g.Biases.Select(x => x.Name));
        Assert.Equal(["0.weight", "2.weight"], g.Weights.Select(x => x.Name));
        Assert.Equal(["1.weight"], g.NormWeights.Select(x => x.Name));
        Assert.Equal(net.parameters().Count(), g.Count);
    }

    [Theory]
    [InlineData(16, 4, 0.0005)]
    [InlineData(32, 2, 0.0005)]
    [InlineData(24, 3, 0.0005625)]   // round(64/24 = 2.67) = 3
    [InlineData(128, 1, 0.001)]      // round(0.5) = 0 -> 1
    [InlineData(1, 64, 0.0005)]
    public void Accumulate_and_scaled_weight_decay(int batch, int accumulate, double decay)
    {
        var o = new TrainOptions { BatchSize = batch };
        Assert.Equal(accumulate, o.Accumulate);
        Assert.Equal(decay, o.ScaledWeightDecay(new Hyp()), 15);
    }

    [Fact]
    public void Only_group_1_decays_and_sgd_is_nesterov()
    {
        using var net = TinyNet.Create();
        using var opt = OptimizerFactory.Create(OptimizerKind.SGD, OptimizerFactory.Classify(net), 0.01, 0.937, 0.0005);
        Assert.IsType<SGD>(opt);
        Assert.Equal([0.0, 0.0005, 0.0], Enumerable.Range(0, 3).Select(j => OptimizerFactory.GetWeightDecay(opt, j)));
        Assert.All(opt.ParamGroups, g => Assert.True(((SGD.Options)((ParamGroup)g).Options).nesterov));
        Assert.All(opt.ParamGroups, g => Assert.Equal(0.01, g.InitialLearningRate));
    }

    [Fact]
    public void AdamW_uses_momentum_as_beta1_and_decays_group_1()
    {
        using var net = TinyNet.Create();
        using var opt = OptimizerFactory.Create(OptimizerKind.AdamW, OptimizerFactory.Classify(net), 0.001, 0.937, 0.0005);
        var o = (AdamW.Options)((ParamGroup)opt.ParamGroups.ElementAt(1)).Options;
        Assert.Equal(0.937, o.beta1);
        Assert.Equal(0.999, o.beta2);
        Assert.Equal(0.0005, OptimizerFactory.GetWeightDecay(opt, 1));
        Assert.Equal(0.0, OptimizerFactory.GetWeightDecay(opt, 0));
        Assert.Null(OptimizerFactory.GetMomentum(opt, 0));
    }

    [Fact]
    public void Sgd_step_is_torch_nesterov_and_honours_momentum_changed_between_steps()
    {
        // One scalar weight in the decayed group: p = 1, loss = 2p -> grad 2, weight decay 0.1, lr 0.1.
        var p = new Parameter(tensor(new[] { 1.0f }));
        var groups = new ParameterGroups([], [("w", p)], []);
        using var opt = OptimizerFactory.Create(OptimizerKind.SGD, groups, 0.1, 0.9, 0.1);
        void Step()
        {
            opt.zero_grad();
            using var loss = (p * 2).sum();
            loss.backward();
            opt.step();
        }
        Step();
        // g = 2 + 0.1*1 = 2.1; buf = 2.1; nesterov g + 0.9*buf = 3.99; p = 1 - 0.399
        Assert.Equal(0.601f, p.item<float>(), 6);
        OptimizerFactory.SetMomentum(opt, 0.5);
        Step();
        // g = 2 + 0.0601 = 2.0601; buf = 0.5*2.1 + 2.0601 = 3.1101; g + 0.5*buf = 3.61515; p = 0.601 - 0.361515
        Assert.Equal(0.239485f, p.item<float>(), 6);
    }
}

public class FreezeOptionTests
{
    [Fact]
    public void Freeze_prefixes_follow_train_py()
    {
        Assert.Empty(new TrainOptions().FreezePrefixes());
        Assert.Equal(["model.0.", "model.1.", "model.2."], new TrainOptions { Freeze = [3] }.FreezePrefixes());
        Assert.Equal(["model.0.", "model.2.", "model.5."], new TrainOptions { Freeze = [0, 2, 5] }.FreezePrefixes());
        Assert.Throws<ArgumentException>(() => new TrainOptions { ImgSize = 100 }.Validate());
    }
}
