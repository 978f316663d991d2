using YoloDistill.Distill.Tests;
using YoloDistill.Detector.Export;
using YoloDistill.Detector.Training;
using YoloDistill.Detector.Weights;
using YoloDistill.Distill.Cli;
using YoloDistill.Tests;

namespace YoloDistill.Distill.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public class ExportDetectCliTests
{
    static Task<int> Run(params string[] args) => CliHarness.RunAsync(args);

    static string Temp() => Directory.CreateTempSubdirectory("cli").FullName;

    [Fact]
    public async Task Detect_with_onnx_backend_writes_csv_with_three_people_and_a_bus()
    {
        var outDir = Path.Combine(Temp(), "det");
        int code = await Run("detect", "--weights", RefData.Require("weights/yolov5n.pt"), "--source", RefData.Require("reference/images/bus.jpg"),
            "--backend", "onnx", "--out", outDir);
        Assert.Equal(0, code);
        Assert.True(File.Exists(Path.Combine(outDir, "bus.jpg")));
        var lines = File.ReadAllLines(Path.Combine(outDir, "detections.csv"));
        Assert.Equal("source,frame,class_id,class_name,conf,x1,y1,x2,y2", lines[0]);
        var classes = lines.Skip(1).Select(l => l.Split(',')[3]).Order().ToArray();
        Assert.Equal(["bus", "person", "person", "person"], classes);
    }

    [Fact]
    public void Detect_on_a_missing_source_is_a_user_error_naming_it()
    {
        Assert.Contains("/nonexistent/clip.mp4: no such file or folder",
            CliHarness.UserError("detect", "--weights", RefData.Require("weights/yolov5n.safetensors"), "--source", "/nonexistent/clip.mp4", "--out", Temp()));
    }

    [Fact]
    public async Task Export_onnx_writes_a_model_with_opset_and_metadata()
    {
        var path = Path.Combine(Temp(), "n.onnx");
        Assert.Equal(0, await Run("export", "--weights", RefData.Require("weights/yolov5n.safetensors"), "--format", "onnx", "--img", "320", "--out", path));
        var info = OnnxModelInfo.Read(path);
        Assert.Equal(17, info.Opsets[""]);
        Assert.Equal("32", info.Metadata["stride"]);
        Assert.StartsWith("{0: 'person'", info.Metadata["names"]);
    }

    [Fact]
    public async Task Export_safetensors_half_keeps_keys_and_metadata()
    {
        var path = Path.Combine(Temp(), "n16.safetensors");
        Assert.Equal(0, await Run("export", "--weights", RefData.Require("weights/yolov5n.pt"), "--format", "safetensors", "--half", "--out", path));
        using var f = SafeTensors.Load(path);
        Assert.Equal(TorchSharp.torch.ScalarType.Float16, f["model.0.conv.weight"].dtype);
        Assert.Equal("80", f.Metadata["nc"]);
        using var back = WeightsFile.Load(path);
        Assert.Equal("n", back.Config.Scale);
        Assert.Equal("person", back.Config.Names[0]);
    }

    [Fact]
    public async Task Export_torchsharp_writes_a_detector_only_checkpoint()
    {
        var path = Path.Combine(Temp(), "student.ckpt");
        Assert.Equal(0, await Run("export", "--weights", RefData.Require("weights/yolov5n.pt"), "--format", "torchsharp", "--out", path));
        using var c = Checkpoint.Load(path);
        Assert.Equal("n", c.Config.Scale);
        Assert.Equal(80, c.Config.Nc);
        Assert.Equal("toothbrush", c.Config.Names[79]);
        Assert.Null(c.Model);
        Assert.Null(c.Optimizer);
        Assert.Empty(c.Extras);
        Assert.Equal(349, c.Ema.Count);

        // detect and val load it as weights.
        using var backend = YoloDistill.Detector.Inference.TorchBackend.Load(path);
        Assert.Equal("toothbrush", backend.Names[79]);
        using var y = backend.Forward(TorchSharp.torch.zeros(1, 3, 160, 160));
        Assert.Equal(new long[] { 1, 3 * (20 * 20 + 10 * 10 + 5 * 5), 85 }, y.shape);
    }

    [Fact]
    public void Export_of_a_missing_weights_file_is_a_user_error_naming_it()
    {
        Assert.Contains("/nonexistent/w.pt: weights file not found", CliHarness.UserError("export", "--weights", "/nonexistent/w.pt", "--format", "onnx"));
    }
}
