using Microsoft.ML.OnnxRuntime;
using YoloDistill.Detector.Export;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Export;

public class OnnxGraphBuilderTests
{
    [Fact]
    public void Conv_sigmoid_mul_graph_runs_in_onnxruntime_like_torch()
    {
        using var scope = NewDisposeScope();
        manual_seed(0);
        var w = randn(4, 3, 3, 3);
        var b = randn(4);
        var x = rand(1, 3, 8, 8);
        var expected = nn.functional.silu(nn.functional.conv2d(x, w, b, strides: [2, 2], padding: [1, 1]));

        var g = new OnnxGraphBuilder("tiny");
        var input = g.Input("x", OnnxDataType.Float, 1L, 3L, 8L, 8L);
        var conv = g.Node("Conv", [input, g.Initializer("w", w), g.Initializer("b", b)], "conv",
            AttributeProto.Of("kernel_shape", 3L, 3L), AttributeProto.Of("pads", 1L, 1L, 1L, 1L), AttributeProto.Of("strides", 2L, 2L));
        var y = g.Node("Mul", [conv, g.Node("Sigmoid", [conv], "sig")], "y");
        g.Output(y, OnnxDataType.Float, 1L, 4L, 4L, 4L);
        var bytes = g.Build(17, [new("k", "v")]).ToByteArray();

        using var session = new InferenceSession(bytes);
        Assert.Equal("v", session.ModelMetadata.CustomMetadataMap["k"]);
        using var ox = OrtValue.CreateTensorValueFromMemory(x.data<float>().ToArray(), [1, 3, 8, 8]);
        using var ro = new RunOptions();
        using var outs = session.Run(ro, ["x"], [ox], ["y"]);
        Assert.Equal(new long[] { 1, 4, 4, 4 }, outs[0].GetTensorTypeAndShape().Shape);
        var got = tensor(outs[0].GetTensorDataAsSpan<float>().ToArray()).reshape(1, 4, 4, 4);
        Assert.True(got.allclose(expected, rtol: 1e-5, atol: 1e-5), $"max diff {(got - expected).abs().max().item<float>()}");
    }

    [Fact]
    public void Written_model_header_reads_back()
    {
        var g = new OnnxGraphBuilder("id");
        var x = g.Input("x", OnnxDataType.Float, "batch", 2L);
        g.Output(g.Node("Identity", [x], "y"), OnnxDataType.Float, "batch", 2L);
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "id.onnx");
        g.Build(17, [new("names", "{0: 'a'}")]).Save(path);

        var info = OnnxModelInfo.Read(path);
        Assert.Equal(8, info.IrVersion);
        Assert.Equal(17, info.Opsets[""]);
        Assert.Equal("yolo-distill", info.ProducerName);
        Assert.Equal("{0: 'a'}", info.Metadata["names"]);
        using var session = new InferenceSession(path);
        Assert.Equal(-1, session.InputMetadata["x"].Dimensions[0]);
        Assert.Equal("batch", session.InputMetadata["x"].SymbolicDimensions[0]);
    }

    [Fact]
    public void Garbage_file_is_refused_with_its_name()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "bad.onnx");
        File.WriteAllBytes(path, [0xff, 0xff, 0xff, 0xff, 0xff]);
        var e = Assert.Throws<InvalidDataException>(() => OnnxModelInfo.Read(path));
        Assert.Contains("bad.onnx", e.Message);
    }
}
