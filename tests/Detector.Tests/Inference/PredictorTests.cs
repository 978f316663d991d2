using OpenCvSharp;
using YoloDistill.Detector.Inference;
using YoloDistill.Detector.Weights;
using YoloDistill.Tests;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Inference;

public class PredictorTests(InferenceFixture fx) : IClassFixture<InferenceFixture>
{
    [Fact]
    public void Onnx_and_fused_torch_agree_on_bus()
    {
        using var scope = NewDisposeScope();
        using var refs = SafeTensors.Load(RefData.Require("reference/forward_bus.safetensors"));
        var t = fx.Torch.Forward(refs["input"]);
        var o = fx.Onnx.Forward(refs["input"]);
        Assert.Equal(t.shape, o.shape);
        var rel = ((t - o).abs() / t.abs().clamp_min(1.0)).max().item<float>();
        Assert.True(rel < 1e-4, $"max relative diff {rel}");
    }

    [Theory]
    [InlineData("torch")]
    [InlineData("onnx")]
    public void Bus_gives_three_people_and_a_bus_where_Ultralytics_finds_them(string backend)
    {
        using var scope = NewDisposeScope();
        using var im = Cv2.ImRead(RefData.Require("reference/images/bus.jpg"));
        // The fixture's letterbox (auto=False, 640x640), so boxes compare with Ultralytics' dets.
        var p = new Predictor(backend == "torch" ? fx.Torch : fx.Onnx, new PredictOptions { Auto = false });
        var dets = p.Predict(im).Detections;
        Assert.Equal(["bus", "person", "person", "person"], dets.Select(d => d.ClassName).Order().ToArray());

        using var refs = SafeTensors.Load(RefData.Require("reference/forward_bus.safetensors"));
        // Reference dets are in the 640x640 letterbox frame of the 1080x810 image: gain 640/1080, 80 px padding left.
        var r = refs["dets"];
        double gain = 640.0 / 1080;
        for (int i = 0; i < 4; i++)
        {
            var d = dets[i];
            Assert.Equal(r[i, 5].item<float>(), d.ClassId);
            Assert.Equal(r[i, 4].item<float>(), d.Confidence, 3);
            Assert.Equal((r[i, 0].item<float>() - 80) / gain, d.X1, 0.1);
            Assert.Equal(r[i, 1].item<float>() / gain, d.Y1, 0.1);
            Assert.Equal(Math.Min((r[i, 2].item<float>() - 80) / gain, 810), d.X2, 0.1);
            Assert.Equal(Math.Min(r[i, 3].item<float>() / gain, 1080), d.Y2, 0.1);
        }
    }

    [Fact]
    public void Fixed_size_onnx_model_refuses_another_image_size()
    {
        var e = Assert.Throws<ArgumentException>(() => new Predictor(fx.Onnx, new PredictOptions { ImgSize = 320 }));
        Assert.Contains("640", e.Message);
    }
}
