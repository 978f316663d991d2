using TorchSharp;
using YoloDistill.Detector.Training;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Training;

public class ModelEmaTests
{
    [Fact]
    public void Decay_ramps_as_ultralytics()
    {
        using var net = TinyNet.Create();
        var ema = new ModelEma(net, TinyNet.Create(2));
        Assert.Equal(0.000499825033328626, ema.Decay(1), 15);
        Assert.Equal(0.0009994002166083156, ema.Decay(2), 15);
        Assert.Equal(0.9999 * (1 - Math.Exp(-10)), ema.Decay(20000), 15);
    }

    [Fact]
    public void Update_averages_parameters_and_buffers_but_not_counters()
    {
        using var net = TinyNet.Create();
        using (no_grad())
        {
            foreach (var p in net.parameters()) p.fill_(1.0f);
        }
        var ema = new ModelEma(net, TinyNet.Create(2));
        // The copy starts equal to the model, whatever it was initialised with.
        Assert.All(ema.Ema.parameters(), p => Assert.Equal(1.0f, p.max().item<float>()));
        Assert.All(ema.Ema.parameters(), p => Assert.False(p.requires_grad));
        using (no_grad())
        {
            foreach (var p in net.parameters()) p.fill_(3.0f);
            var sd = net.state_dict();
            sd["1.running_mean"].fill_(5.0f);
            sd["1.num_batches_tracked"].fill_(7);
        }
        ema.Update(net);
        Assert.Equal(1, ema.Updates);
        var e = ema.Ema.state_dict();
        // v = d*1 + (1-d)*3 = 3 - 2d with d = 0.000499825...
        Assert.Equal(2.999000349933343, e["0.weight"][0, 0, 0, 0].item<float>(), 5);
        Assert.Equal(2.999000349933343, e["2.bias"][1].item<float>(), 5);
        // running_mean starts at 0: v = (1-d)*5
        Assert.Equal(5 * (1 - 0.000499825033328626), e["1.running_mean"][0].item<float>(), 5);
        Assert.Equal(0L, e["1.num_batches_tracked"].item<long>());
        Assert.False(ema.Ema.training);
    }
}
