using TorchSharp;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Training;

/// <summary>A generic conv-BN-conv network to exercise the training pieces without the YOLO model.</summary>
static class TinyNet
{
    public static nn.Module<Tensor, Tensor> Create(long seed = 1)
    {
        torch.manual_seed(seed);
        return nn.Sequential(
            ("0", nn.Conv2d(3, 4, 3, padding: 1, bias: false)),
            ("1", nn.BatchNorm2d(4)),
            ("2", nn.Conv2d(4, 2, 1, bias: true)));
    }

    /// <summary>One forward/backward on fixed data (a BN training step too).</summary>
    public static void Backward(nn.Module<Tensor, Tensor> net, int step)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(100 + step);
        var x = randn(2, 3, 5, 5);
        var loss = net.call(x).pow(2).mean();
        loss.backward();
    }
}
