using TorchSharp;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Training;

/// <summary>A generic conv-BN-conv network to exercise the training pieces without the YOLO model.</summary>
/// <remarks>Weights and data come from private generators, not torch's global one: xunit runs test classes in
/// parallel, and another test drawing from the global generator between a manual_seed and a randn made the
/// "identical after resume" checks flaky.</remarks>
static class TinyNet
{
    public static nn.Module<Tensor, Tensor> Create(long seed = 1)
    {
        var net = nn.Sequential(
            ("0", nn.Conv2d(3, 4, 3, padding: 1, bias: false)),
            ("1", nn.BatchNorm2d(4)),
            ("2", nn.Conv2d(4, 2, 1, bias: true)));
        using var g = new Generator((ulong)seed);
        using (no_grad())
            foreach (var (name, p) in net.named_parameters())
                if (!name.StartsWith("1.")) p.copy_(randn(p.shape, generator: g).mul_(0.3));
        return net;
    }

    /// <summary>One forward/backward on fixed data (a BN training step too).</summary>
    public static void Backward(nn.Module<Tensor, Tensor> net, int step)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)(100 + step));
        var x = randn([2, 3, 5, 5], generator: g);
        var loss = net.call(x).pow(2).mean();
        loss.backward();
    }
}
