using TorchSharp;
using YoloDistill.Detector.Export;
using YoloDistill.Detector.Inference;
using YoloDistill.Detector.Model;
using YoloDistill.Tests;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Export;

/// <remarks>
/// Alone (<see cref="GlobalGeneratorCollection"/>): the model and its statistics are drawn from torch's global generator;
/// a fresh-clone run, with other tests drawing from it at the same time, got another draw whose activations grew to a
/// P5 std of 144 and a relative difference of 8.5e-4.
/// </remarks>
[Collection(GlobalGeneratorCollection.Name)]
public class OnnxScaleTests(Xunit.Abstractions.ITestOutputHelper log)
{
    /// <summary>
    /// The exporter walks Architecture's table at the model's scale: yolov5m's depth gain gives C3 other bottleneck counts
    /// (2, 4, 6, 2) than yolov5n's, and its width other channels. Random weights and BatchNorm statistics, so the folding is
    /// exercised too; ONNX Runtime must give what the unfused TorchSharp model gives.
    /// </summary>
    [Fact]
    public void Yolov5m_export_matches_the_TorchSharp_model()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var cfg = ModelConfig.FromName("yolov5m", nc: 3);
        using var model = new YoloModel(cfg);
        using (no_grad())
            foreach (var (_, m) in model.named_modules())
                if (m is Conv c && c.BatchNorm is { } bn)
                {
                    // Variance 1/fan_in keeps activations alive through the whole network (P5 features' std about 3), so that
                    // every layer shows in the output; the default initialisation lets them fade away.
                    var w = c.Conv2d.weight!;
                    w.normal_(0, Math.Sqrt(1.0 / (w.shape[1] * w.shape[2] * w.shape[3])));
                    bn.weight!.uniform_(0.5, 1.5);
                    bn.bias!.normal_(0, 0.1);
                    bn.running_mean!.normal_(0, 0.1);
                    bn.running_var!.uniform_(0.2, 1.0);
                }
        model.eval();

        var dir = Directory.CreateTempSubdirectory("onnx-scale").FullName;
        try
        {
            var path = Path.Combine(dir, "m.onnx");
            OnnxExporter.Build(model, cfg, new OnnxExportOptions { ImgSize = 64 }).Save(path);
            var x = rand(1, 3, 64, 64);
            Tensor expected;
            float y5std;
            using (no_grad())
            using (var y = model.forward(x))
            {
                expected = y.Decoded!.clone();
                y5std = y.Features[^1].std().item<float>();
            }
            using var onnx = new OnnxBackend(path);
            var actual = onnx.Forward(x);
            Assert.Equal(expected.shape, actual.shape);
            var rel = ((actual - expected).abs() / expected.abs().clamp_min(1.0)).max().item<float>();
            log.WriteLine($"max relative diff {rel:E2}; boxes up to {expected[.., .., ..4].abs().max().item<float>():F1} px, " +
                          $"obj spread {expected[.., .., 4].std().item<float>():E2}, P5 feature std {y5std:E2}");
            // Seen: 5e-5, float32 rounding through the network on live activations (BN applied by the model, folded
            // in float64 by the exporter). A wrong wiring, bottleneck count or fold is off by far more.
            Assert.True(rel < 5e-4, $"max relative diff {rel}");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
