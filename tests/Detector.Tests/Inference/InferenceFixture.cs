using YoloDistill.Detector.Export;
using YoloDistill.Detector.Inference;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Weights;
using YoloDistill.Tests;

namespace YoloDistill.Detector.Tests.Inference;

/// <summary>yolov5n with the Ultralytics COCO weights, as a fused torch backend and as an exported ONNX model (640, static).</summary>
public sealed class InferenceFixture : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("infer").FullName;
    public string OnnxPath { get; }
    public TorchBackend Torch { get; }
    public OnnxBackend Onnx { get; }

    public InferenceFixture()
    {
        using var f = SafeTensors.Load(RefData.Require("weights/yolov5n.safetensors"));
        var names = System.Text.Json.JsonSerializer.Deserialize<string[]>(f.Metadata["names"])!;
        var cfg = ModelConfig.FromName("yolov5n", 80, names);
        OnnxPath = Path.Combine(Dir, "yolov5n.onnx");
        OnnxExporter.Export(OnnxPath, f.Tensors, cfg);
        var model = new YoloModel(cfg);
        model.LoadStateDictStrict(f.Tensors, "yolov5n.safetensors");
        Torch = new TorchBackend(model);
        Onnx = new OnnxBackend(OnnxPath);
    }

    public void Dispose()
    {
        Torch.Dispose();
        Onnx.Dispose();
        Directory.Delete(Dir, recursive: true);
    }
}
