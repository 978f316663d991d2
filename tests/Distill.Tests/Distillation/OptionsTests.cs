using TorchSharp;
using YoloDistill.Detector.Model;
using YoloDistill.Distill.Distillation;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Tests.Distillation;

public class OptionsTests
{
    [Theory]
    [InlineData("fgfi", DistillMethod.Fgfi)]
    [InlineData("FGFI+kd", DistillMethod.Fgfi | DistillMethod.Kd)]
    [InlineData("cwd + kd", DistillMethod.Cwd | DistillMethod.Kd)]
    [InlineData("kd+cwd+fgfi", DistillMethod.Fgfi | DistillMethod.Cwd | DistillMethod.Kd)]
    public void Methods_parse_and_combine(string text, DistillMethod expected)
    {
        Assert.Equal(expected, DistillMethodParser.Parse(text));
        Assert.Equal(expected, DistillMethodParser.Parse(DistillMethodParser.Format(expected)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("fgfi+")]
    [InlineData("at")]
    [InlineData("kd+kd")]
    public void Bad_methods_are_errors(string text) =>
        Assert.Throws<ArgumentException>(() => DistillMethodParser.Parse(text));

    [Fact]
    public void Defaults_are_the_papers()
    {
        var o = new DistillOptions();
        Assert.Equal(DistillMethod.Fgfi, o.Method);
        Assert.Equal(0.01, o.ImitationWeight);
        Assert.Equal(0.5, o.Psi);
        Assert.Equal(AdapterKind.Conv1x1, o.Adapter);
        Assert.Equal(0, o.ImitationWarmup);
        Assert.Equal(1.0, o.CwdTau);
        Assert.Equal(5.0, o.CwdWeight);
        Assert.Equal(1.0, o.KdTemperature);
        Assert.True(o.NeedsAdapters);
        Assert.False((o with { Method = DistillMethod.Kd }).NeedsAdapters);
        o.Validate();
        Assert.Throws<ArgumentException>(() => (o with { Psi = 2 }).Validate());
        Assert.Throws<ArgumentException>(() => (o with { KdTemperature = 0 }).Validate());
    }

    [Fact]
    public void Feature_channels_follow_parse_model()
    {
        Assert.Equal(new long[] { 64, 128, 256 }, FeatureChannels.Of(ModelConfig.FromName("yolov5n")));
        Assert.Equal(new long[] { 128, 256, 512 }, FeatureChannels.Of(ModelConfig.FromName("yolov5s")));
        Assert.Equal(new long[] { 320, 640, 1280 }, FeatureChannels.Of(ModelConfig.FromName("yolov5x")));
    }

    [Theory]
    [InlineData("1x1", 1)]
    [InlineData("3x3", 3)]
    public void Adapters_map_student_channels_to_teacher_channels(string kind, int k)
    {
        using var a = new Adapters([64, 128, 256], [128, 256, 512], AdapterKindParser.Parse(kind));
        var names = a.named_parameters().Select(p => p.name).ToArray();
        Assert.Equal(6, names.Length);
        Assert.Equal(new long[] { 128, 64, k, k }, a.named_parameters().First().parameter.shape);
        using var f0 = randn(2, 64, 8, 8);
        using var f1 = randn(2, 128, 4, 4);
        using var f2 = randn(2, 256, 2, 2);
        var outs = a.forward([f0, f1, f2]);
        Assert.Equal(new long[] { 2, 128, 8, 8 }, outs[0].shape);
        Assert.Equal(new long[] { 2, 256, 4, 4 }, outs[1].shape);
        Assert.Equal(new long[] { 2, 512, 2, 2 }, outs[2].shape);
        Assert.Throws<ArgumentException>(() => AdapterKindParser.Parse("5x5"));
    }
}
