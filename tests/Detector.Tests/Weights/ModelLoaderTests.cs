using YoloDistill.Detector.Weights;
using YoloDistill.Tests;

namespace YoloDistill.Detector.Tests.Weights;

public class ModelLoaderTests
{
    [Fact]
    public void Builds_the_files_architecture_in_eval_mode_unfused_on_the_cpu()
    {
        var notes = new List<string>();
        using var model = ModelLoader.Load(RefData.Require("weights/yolov5n.safetensors"), warn: notes.Add);
        Assert.Equal("yolov5n", model.Config.ModelName);
        Assert.Equal(80, model.Config.Nc);
        Assert.False(model.training);
        Assert.False(model.IsFused);
        Assert.All(model.parameters(), p => Assert.Equal(TorchSharp.DeviceType.CPU, p.device_type));
        Assert.Empty(notes);
    }

    [Fact]
    public void A_model_hint_of_another_scale_is_reported_and_ignored()
    {
        var notes = new List<string>();
        var path = RefData.Require("weights/yolov5n.safetensors");
        using var model = ModelLoader.Load(path, modelHint: "yolov5s", warn: notes.Add);
        Assert.Equal("n", model.Config.Scale);
        Assert.Equal($"yolov5s ignored: {path} holds a yolov5n", Assert.Single(notes));

        using var same = ModelLoader.Load(path, modelHint: "yolov5n", warn: notes.Add);
        Assert.Single(notes);
    }

    [Fact]
    public void An_unknown_model_hint_is_refused()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => ModelLoader.Load(RefData.Require("weights/yolov5n.safetensors"), modelHint: "yolov9q"));
        Assert.Contains("yolov9q", e.Message);
    }
}
