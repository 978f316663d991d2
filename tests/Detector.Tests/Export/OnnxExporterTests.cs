using Microsoft.ML.OnnxRuntime;
using YoloDistill.Detector.Export;
using YoloDistill.Detector.Inference;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Weights;
using YoloDistill.Tests;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Export;

/// <summary>yolov5n exported once at 640 (fp32, static) for the tests below.</summary>
public sealed class Yolov5nOnnxFixture : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("onnx-export").FullName;
    public string Path640 { get; }
    public TensorFile Weights { get; }
    public ModelConfig Config { get; }

    public Yolov5nOnnxFixture()
    {
        Weights = SafeTensors.Load(RefData.Require("weights/yolov5n.safetensors"));
        var names = System.Text.Json.JsonSerializer.Deserialize<string[]>(Weights.Metadata["names"])!;
        Config = ModelConfig.FromName("yolov5n", 80, names);
        Path640 = Path.Combine(Dir, "yolov5n.onnx");
        OnnxExporter.Export(Path640, Weights.Tensors, Config);
    }

    public void Dispose()
    {
        Weights.Dispose();
        Directory.Delete(Dir, recursive: true);
    }
}

public class OnnxExporterTests(Yolov5nOnnxFixture fx) : IClassFixture<Yolov5nOnnxFixture>
{
    [Fact]
    public void Onnx_output_matches_the_Ultralytics_fused_prediction_on_bus()
    {
        using var scope = NewDisposeScope();
        using var refs = SafeTensors.Load(RefData.Require("reference/forward_bus.safetensors"));
        using var backend = new OnnxBackend(fx.Path640);
        var pred = backend.Forward(refs["input"]);
        Assert.Equal(new long[] { 1, 25200, 85 }, pred.shape);
        var expected = refs["pred_fused"];
        // Boxes are pixels up to 640, where float32 spacing is 6e-5: compare relative to magnitude.
        var diff = (pred - expected).abs() / expected.abs().clamp_min(1.0);
        Assert.True(diff.max().item<float>() < 1e-4, $"max relative diff {diff.max().item<float>()}");
    }

    [Fact]
    public void Model_structure_follows_Ultralytics_export()
    {
        var info = OnnxModelInfo.Read(fx.Path640);
        Assert.Equal(17, info.Opsets[""]);
        Assert.Equal(8, info.IrVersion);
        Assert.Equal("32", info.Metadata["stride"]);
        Assert.StartsWith("{0: 'person', 1: 'bicycle', 2: 'car'", info.Metadata["names"]);
        Assert.EndsWith("79: 'toothbrush'}", info.Metadata["names"]);
        Assert.Equal(fx.Config.Names, OnnxBackend.ParseNames(info.Metadata["names"]));

        using var session = new InferenceSession(fx.Path640);
        Assert.Equal(["images"], session.InputMetadata.Keys);
        Assert.Equal([1, 3, 640, 640], session.InputMetadata["images"].Dimensions);
        Assert.Equal(["output0"], session.OutputMetadata.Keys);
        Assert.Equal([1, 25200, 85], session.OutputMetadata["output0"].Dimensions);
    }

    [Fact]
    public void Dynamic_export_runs_any_batch_and_size_like_the_static_one()
    {
        using var scope = NewDisposeScope();
        var dyn = Path.Combine(fx.Dir, "dyn.onnx");
        var st = Path.Combine(fx.Dir, "s320.onnx");
        OnnxExporter.Export(dyn, fx.Weights.Tensors, fx.Config, new OnnxExportOptions { Dynamic = true });
        OnnxExporter.Export(st, fx.Weights.Tensors, fx.Config, new OnnxExportOptions { ImgSize = 320 });
        using var d = new OnnxBackend(dyn);
        using var s = new OnnxBackend(st);
        Assert.Null(d.FixedImgSize);
        Assert.Equal(320, s.FixedImgSize);

        manual_seed(1);
        var x = rand(2, 3, 320, 320);
        var yd = d.Forward(x);
        Assert.Equal(new long[] { 2, 6300, 85 }, yd.shape);
        var ys = cat([s.Forward(x[0..1]), s.Forward(x[1..2])], 0);
        Assert.True(yd.allclose(ys, rtol: 1e-5, atol: 1e-4), $"max diff {(yd - ys).abs().max().item<float>()}");

        var rect = d.Forward(rand(1, 3, 256, 416));
        Assert.Equal(new long[] { 1, 3 * (32 * 52 + 16 * 26 + 8 * 13), 85 }, rect.shape);
    }

    [Fact]
    public void Image_size_not_a_multiple_of_the_stride_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => OnnxExporter.Build(fx.Weights.Tensors, fx.Config, new OnnxExportOptions { ImgSize = 650 }));
        Assert.Contains("650", e.Message);
    }
}

public class OnnxHalfExportTests(Yolov5nOnnxFixture fx) : IClassFixture<Yolov5nOnnxFixture>
{
    [Fact]
    public void Half_export_declares_float16_io_and_runs_close_to_fp32()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(fx.Dir, "half.onnx");
        OnnxExporter.Export(path, fx.Weights.Tensors, fx.Config, new OnnxExportOptions { Half = true, ImgSize = 320 });
        Assert.True(new FileInfo(path).Length < new FileInfo(fx.Path640).Length * 0.6, "fp16 weights should halve the file");
        using var session = new InferenceSession(path);
        Assert.Equal(Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float16, session.InputMetadata["images"].ElementDataType);
        Assert.Equal(Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float16, session.OutputMetadata["output0"].ElementDataType);
        using var h = new OnnxBackend(path);
        var x = rand(1, 3, 320, 320);
        var yh = h.Forward(x);
        Assert.Equal(new long[] { 1, 6300, 85 }, yh.shape);
        var fp32 = Path.Combine(fx.Dir, "fp32_320.onnx");
        OnnxExporter.Export(fp32, fx.Weights.Tensors, fx.Config, new OnnxExportOptions { ImgSize = 320 });
        using var f = new OnnxBackend(fp32);
        var yf = f.Forward(x);
        // Half precision keeps ~3 significant digits: boxes within 1% of their size, probabilities within 0.02.
        var boxErr = ((yh[.., .., 0..4] - yf[.., .., 0..4]).abs() / yf[.., .., 0..4].abs().clamp_min(8.0)).max().item<float>();
        var probErr = (yh[.., .., 4..] - yf[.., .., 4..]).abs().max().item<float>();
        Assert.True(boxErr < 0.01 && probErr < 0.02, $"box rel err {boxErr}, prob err {probErr}");
    }
}
