using OpenCvSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests;

/// <summary>Proves the native runtimes load on this machine (TorchSharp needs the GLIBCXX fix on Debian 12).</summary>
public class NativeRuntimeTests
{
    [Fact]
    public void TorchSharp_loads_and_a_convolution_runs_forward_and_backward()
    {
        using var scope = NewDisposeScope();
        // Grad mode is per thread and xunit reuses threads across tests: state it rather than inherit it.
        using var grad = enable_grad();
        using var g = new Generator(0);
        var conv = nn.Conv2d(3, 4, 3, padding: 1);
        var x = randn([2, 3, 8, 8], generator: g).requires_grad_();
        var y = conv.forward(x);
        Assert.Equal(new long[] { 2, 4, 8, 8 }, y.shape);
        y.square().sum().backward();
        Assert.NotNull(x.grad);
        Assert.True(x.grad!.abs().sum().item<float>() > 0);
        Assert.True(conv.weight!.grad!.abs().sum().item<float>() > 0);
        // The analytic gradient of sum(conv(x)^2) wrt the bias is 2*sum over (b,h,w) of y.
        var expected = (2 * y.detach().sum(new long[] { 0, 2, 3 }));
        Assert.True(allclose(conv.bias!.grad!, expected, rtol: 1e-4, atol: 1e-4));
    }

    [Fact]
    public void OpenCvSharp_loads_and_encodes_an_image()
    {
        using var m = new Mat(16, 16, MatType.CV_8UC3, new OpenCvSharp.Scalar(10, 20, 30));
        Cv2.ImEncode(".png", m, out var png);
        using var back = Cv2.ImDecode(png, ImreadModes.Color);
        Assert.Equal(new Vec3b(10, 20, 30), back.At<Vec3b>(5, 5));
    }
}
