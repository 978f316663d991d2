using OpenCvSharp;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Weights;
using YoloDistill.Tests;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Data;

public class LetterboxTests
{
    [Fact]
    public void Bus_input_equals_the_Ultralytics_fixture()
    {
        using var f = SafeTensors.Load(RefData.Require("reference/forward_bus.safetensors"));
        var (input, shape) = Letterbox.LoadForInference(RefData.Require("reference/images/bus.jpg"), 640);
        using (input)
        {
            Assert.Equal(new long[] { 1, 3, 640, 640 }, input.shape);
            double maxErr = (input - f["input"]).abs().max().item<float>();
            Assert.True(maxErr <= 1.0 / 255 + 1e-6, $"max abs err {maxErr}");
            // 80 columns of 114 on each side, none inside
            Assert.Equal(114f / 255, input[0, 0, 300, 79].item<float>(), 6);
            Assert.Equal(114f / 255, input[0, 0, 300, 560].item<float>(), 6);
        }
        Assert.Equal(new ImageShape(1080, 810, 640.0 / 1080, 640.0 / 1080, 80, 0), shape);
    }

    [Theory]
    [InlineData(427, 640, 640, false, 427 + 213, 640, 106.5)] // dh split 106/107 by round(dh -/+ 0.1)
    [InlineData(427, 640, 640, true, 448, 640, 10.5)]         // auto: pad to a stride multiple only
    [InlineData(300, 200, 640, false, 640, 640, 0)]           // scaled up to 640 tall
    public void Pads_like_Ultralytics(int h, int w, int size, bool auto, int outH, int outW, double padH)
    {
        using var im = new Mat(h, w, MatType.CV_8UC3, Scalar.All(7));
        var lb = Letterbox.Apply(im, size, auto: auto);
        using var o = lb.Image;
        Assert.Equal((outH, outW), (o.Height, o.Width));
        Assert.Equal(padH, lb.PadH);
        if (padH == 106.5)
        {
            Assert.Equal(114, o.At<Vec3b>(105, 5).Item0);
            Assert.Equal(7, o.At<Vec3b>(106, 5).Item0);
            Assert.Equal(7, o.At<Vec3b>(106 + 427 - 1, 5).Item0);
            Assert.Equal(114, o.At<Vec3b>(106 + 427, 5).Item0);
        }
    }

    [Fact]
    public void ScaleFill_stretches_and_scaleup_false_never_enlarges()
    {
        using var im = new Mat(100, 50, MatType.CV_8UC3, Scalar.All(7));
        var fill = Letterbox.Apply(im, 64, auto: false, scaleFill: true);
        using (fill.Image) Assert.Equal((64, 64, 64.0 / 50, 0.64), (fill.Image.Height, fill.Image.Width, fill.RatioW, fill.RatioH));
        var noUp = Letterbox.Apply(im, 320, auto: false, scaleUp: false);
        using (noUp.Image) Assert.Equal((1.0, 135.0, 110.0), (noUp.RatioW, noUp.PadW, noUp.PadH));
    }
}
