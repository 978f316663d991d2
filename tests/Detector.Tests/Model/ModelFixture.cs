using YoloDistill.Detector.Model;
using YoloDistill.Detector.Weights;
using YoloDistill.Tests;

namespace YoloDistill.Detector.Tests.Model;

/// <summary>Builds yolov5n and loads the Ultralytics COCO weights into it (shared helpers for the model tests).</summary>
internal static class ModelFixture
{
    public static YoloModel LoadYolov5n()
    {
        var model = new YoloModel(ModelConfig.FromName("yolov5n", 80));
        using var f = SafeTensors.Load(RefData.Require("weights/yolov5n.safetensors"));
        model.LoadStateDictStrict(f.Tensors, "yolov5n.safetensors");
        model.eval();
        return model;
    }
}
