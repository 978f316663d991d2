using YoloDistill.Detector.Model;
using YoloDistill.Detector.Weights;
using YoloDistill.Tests;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Weights;

public class YoloModelImportTests
{
    [Fact]
    public void Ultralytics_pt_imported_into_YoloModel_reproduces_the_reference_forward()
    {
        using var w = WeightsFile.Load(RefData.Require("weights/yolov5n.pt"));
        using var model = new YoloModel(w.Config);
        var r = StateDictImporter.LoadInto(model, w);
        Assert.Equal(349, r.Copied.Count);
        Assert.Empty(r.Skipped);
        Assert.Empty(r.Missing);
        Assert.Empty(r.Unexpected);
        model.eval();

        using var fx = SafeTensors.Load(RefData.Require("reference/forward_bus.safetensors"));
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var y = model.forward(fx["input"]);
        string[] names = ["p3", "p4", "p5"];
        for (int i = 0; i < 3; i++)
        {
            var err = (y.Raw[i] - fx[names[i]]).abs().max().item<float>();
            Assert.True(err <= 1e-3f, $"{names[i]} max abs error {err}");
        }
    }

    [Fact]
    public void Importing_80_class_weights_into_a_3_class_model_keeps_only_the_output_convs_fresh()
    {
        using var w = WeightsFile.Load(RefData.Require("weights/yolov5n.pt"));
        manual_seed(0);
        using var model = new YoloModel(ModelConfig.FromName("yolov5n", 3));
        var fresh = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        var r = StateDictImporter.LoadInto(model, w);

        string[] head = ["model.24.m.0.weight", "model.24.m.0.bias", "model.24.m.1.weight", "model.24.m.1.bias", "model.24.m.2.weight", "model.24.m.2.bias"];
        Assert.Equal(head.Order(), r.Skipped.Select(s => s.Key).Order());
        Assert.Equal(343, r.Copied.Count);
        Assert.Empty(r.Missing);
        var now = model.state_dict();
        foreach (var k in head) Assert.True(TensorAssert.Bitwise(now[k], fresh[k]), $"{k} was overwritten");
        foreach (var k in r.Copied) Assert.True(TensorAssert.Bitwise(now[k], w.StateDict[k]), $"{k} not copied");
        Assert.Equal([24L, 64, 1, 1], model.state_dict()["model.24.m.0.weight"].shape);
    }
}
