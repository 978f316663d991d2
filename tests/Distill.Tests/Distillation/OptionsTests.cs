using TorchSharp;
using YoloDistill.Detector.Model;
using YoloDistill.Distill.Distillation;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Tests.Distillation;

public class OptionsTests
{
    [Theory]
    [InlineData("fgfi", "fgfi")]
    [InlineData("FGFI+kd", "fgfi+kd")]
    [InlineData("cwd + kd", "cwd+kd")]
    [InlineData("kd+cwd+fgfi", "fgfi+cwd+kd")]
    [InlineData("kdbox+kd", "kd+kdbox")]
    [InlineData("kdbox + fgfi + KD", "fgfi+kd+kdbox")]
    public void Methods_parse_and_combine_in_registry_order(string text, string canonical)
    {
        var kinds = DistillLosses.ParseMethod(text);
        Assert.Equal(canonical, DistillLosses.Format(kinds));
        Assert.Equal(kinds, DistillLosses.ParseMethod(DistillLosses.Format(kinds)));
    }

    [Theory]
    [InlineData("", "--method is empty")]
    [InlineData("fgfi+", "empty part")]
    [InlineData("at", "Unknown distillation method 'at'")]
    [InlineData("kd+kd", "'kd' is given twice")]
    public void Bad_methods_are_errors_that_say_why(string text, string message) =>
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => DistillLosses.ParseMethod(text)).Message);

    [Fact]
    public void Defaults_and_the_paper_preset()
    {
        var o = new DistillOptions();
        Assert.Equal("fgfi", o.Method);
        Assert.True(o.NeedsAdapters);
        Assert.False(DistillOptions.For("kd").NeedsAdapters);
        // The defaults are the paper's form, adapter included (what the benchmark measured best).
        foreach (var s in o.ActiveSettings) Assert.Equal(FgfiLoss.Paper.Text(s), o.Effective.Text(s));
        Assert.Equal(AdapterKind.Conv3x3, o.Get(Adapters.Kernel));
        Assert.Equal(AdapterInit.Small, o.Get(Adapters.Init));
        // The adapter default is FGFI's: CWD alone keeps libtorch's 1x1, an explicit value wins.
        Assert.Equal(AdapterKind.Conv1x1, DistillOptions.For("cwd").Get(Adapters.Kernel));
        Assert.Equal(AdapterInit.Default, DistillOptions.For("cwd").Get(Adapters.Init));
        Assert.Equal(AdapterKind.Conv3x3, DistillOptions.For("fgfi+cwd").Get(Adapters.Kernel));
        Assert.Equal(AdapterKind.Conv1x1, o.With(Adapters.Kernel, AdapterKind.Conv1x1).Get(Adapters.Kernel));
        Assert.Equal("3x3", o.ToMetadata()["distill.adapter"]);
        var normalised = o with { Settings = FgfiLoss.Normalised };
        Assert.Equal(LevelAssignment.Matched, normalised.Get(FgfiLoss.Levels));
        Assert.Equal(FeatureNorm.Channel, normalised.Get(FgfiLoss.Norm));
        Assert.Equal(AdapterKind.Conv1x1, normalised.Get(Adapters.Kernel));
        Assert.Equal(0.01, o.Get(CwdLoss.Weight));
        Assert.Equal(0.2, DistillOptions.For("kd").Get(KdLoss.Weight));
        Assert.Equal(1.0, DistillOptions.FromMetadata(new Dictionary<string, string> { ["distill.method"] = "kd" })!.Get(KdLoss.Weight));
        Assert.Equal(1.0, o.Get(KdLoss.Temperature));
        var paper = o with { Settings = FgfiLoss.Paper };
        Assert.Equal(0.01, paper.Get(FgfiLoss.Weight));
        Assert.Equal(0.5, paper.Get(FgfiLoss.Psi));
        Assert.Equal(LevelAssignment.All, paper.Get(FgfiLoss.Levels));
        Assert.Equal(FeatureNorm.None, paper.Get(FgfiLoss.Norm));
        Assert.Equal(FeatureReduction.Sum, paper.Get(FgfiLoss.Reduction));
        Assert.Equal(LevelBalance.Pooled, paper.Get(FgfiLoss.Balance));
        Assert.Equal(AdapterKind.Conv3x3, paper.Get(Adapters.Kernel));
        Assert.Contains("must lie in [0, 1]", Assert.Throws<ArgumentException>(() => o.With(FgfiLoss.Psi, 2.0)).Message);
        Assert.Contains("--kd-temperature", Assert.Throws<ArgumentException>(() => o.Settings.WithText(KdLoss.Temperature, "0")).Message);
        Assert.Contains("--fgfi-levels", Assert.Throws<ArgumentException>(() => o.Settings.WithText(FgfiLoss.Levels, "some")).Message);
    }

    [Fact]
    public void Defaults_and_legacy_values_of_the_output_and_cwd_settings()
    {
        var kd = DistillOptions.For("kd+kdbox");
        Assert.Equal(KdObjectness.Iou, kd.Get(KdLoss.Objectness));
        Assert.Equal(0.1, kd.Get(KdLoss.ObjThreshold));
        Assert.Contains("--kd-obj-threshold 0: must lie in (0, 1)", Assert.Throws<ArgumentException>(() => kd.With(KdLoss.ObjThreshold, 0.0)).Message);
        Assert.Equal(0.1, kd.Get(KdBoxLoss.Weight));
        Assert.Equal(0.1, kd.Get(KdBoxLoss.Threshold));
        Assert.False(kd.NeedsAdapters);
        Assert.Equal("iou", kd.ToMetadata()["distill.kd_obj"]);
        Assert.Equal("0.1", kd.ToMetadata()["distill.kdbox_threshold"]);
        var cwd = DistillOptions.For("cwd");
        Assert.Equal(CwdNorm.Bn, cwd.Get(CwdLoss.Norm));
        Assert.Equal("bn", cwd.ToMetadata()["distill.cwd_norm"]);
        Assert.Equal("1x1", cwd.ToMetadata()["distill.adapter"]);
        Assert.Equal("default", cwd.ToMetadata()["distill.adapter_init"]);
        Assert.Contains("--kd-obj 'hard'", Assert.Throws<ArgumentException>(() => kd.Settings.WithText(KdLoss.Objectness, "hard")).Message);
        Assert.Contains("must lie in [0, 1)", Assert.Throws<ArgumentException>(() => kd.Settings.WithText(KdBoxLoss.Threshold, "1")).Message);
        Assert.Contains("--cwd-norm", Assert.Throws<ArgumentException>(() => cwd.Settings.WithText(CwdLoss.Norm, "layer")).Message);
        Assert.Equal(CwdNorm.None, cwd.Settings.WithText(CwdLoss.Norm, "NONE").Get(CwdLoss.Norm));
    }

    [Fact]
    public void Kd_and_cwd_checkpoints_from_before_the_new_settings_resume_with_the_behaviour_they_had()
    {
        var kd = DistillOptions.FromMetadata(new Dictionary<string, string>
        {
            ["distill.method"] = "fgfi+kd", ["distill.kd_weight"] = "0.2", ["distill.kd_temperature"] = "1", ["distill.imitation_weight"] = "0.01",
        })!;
        Assert.Equal(KdObjectness.Soft, kd.Get(KdLoss.Objectness));
        Assert.Equal(0.2, kd.Get(KdLoss.Weight));
        var cwd = DistillOptions.FromMetadata(new Dictionary<string, string>
        {
            ["distill.method"] = "cwd", ["distill.cwd_weight"] = "5", ["distill.cwd_tau"] = "1", ["distill.adapter"] = "1x1", ["distill.adapter_init"] = "default",
        })!;
        Assert.Equal(CwdNorm.None, cwd.Get(CwdLoss.Norm));
        Assert.Equal(5.0, cwd.Get(CwdLoss.Weight));
        Assert.Equal(AdapterKind.Conv1x1, cwd.Get(Adapters.Kernel));
        // Written by this version, the settings come back as they were.
        var now = DistillOptions.FromMetadata(DistillOptions.For("cwd+kd+kdbox").ToMetadata())!;
        Assert.Equal(CwdNorm.Bn, now.Get(CwdLoss.Norm));
        Assert.Equal(KdObjectness.Iou, now.Get(KdLoss.Objectness));
        Assert.Equal(0.1, now.Get(KdBoxLoss.Weight));
    }

    [Fact]
    public void Every_setting_name_is_unique_and_round_trips_through_metadata()
    {
        var names = DistillLosses.AllSettings.Select(s => s.Name).ToArray();
        Assert.Equal(names.Length, names.Distinct().Count());
        var o = DistillOptions.For("fgfi+cwd+kd+kdbox", FgfiLoss.Paper.With(FgfiLoss.Weight, 0.25).With(KdLoss.Weight, 3.0).With(FgfiLoss.Decay, WeightDecay.Cosine)
            .With(KdLoss.Objectness, KdObjectness.None).With(KdLoss.ObjThreshold, 0.4).With(CwdLoss.Norm, CwdNorm.None).With(KdBoxLoss.Threshold, 0.3).With(KdBoxLoss.Weight, 0.5));
        var back = DistillOptions.FromMetadata(o.ToMetadata())!;
        Assert.Equal(o.Method, back.Method);
        foreach (var s in o.ActiveSettings) Assert.Equal(o.Settings.Text(s), back.Settings.Text(s));
        Assert.Equal("0.25", back.Settings.Text(FgfiLoss.Weight));
        Assert.Equal("cosine", back.Settings.Text(FgfiLoss.Decay));
        Assert.Equal("none", back.Settings.Text(KdLoss.Objectness));
        Assert.Equal(0.4, back.Get(KdLoss.ObjThreshold));
        Assert.Equal("none", back.Settings.Text(CwdLoss.Norm));
        Assert.Equal("0.3", back.Settings.Text(KdBoxLoss.Threshold));
        Assert.Equal(0.5, back.Get(KdBoxLoss.Weight));
    }

    [Fact]
    public void A_checkpoint_from_before_the_fgfi_settings_resumes_with_the_behaviour_it_had()
    {
        var old = new Dictionary<string, string>
        {
            ["distill.method"] = "fgfi", ["distill.imitation_weight"] = "0.001", ["distill.psi"] = "0.5", ["distill.adapter"] = "1x1",
            ["distill.imitation_warmup"] = "0",
        };
        var o = DistillOptions.FromMetadata(old)!;
        Assert.Equal(0.001, o.Get(FgfiLoss.Weight));
        Assert.Equal(LevelAssignment.All, o.Get(FgfiLoss.Levels));
        Assert.Equal(FeatureNorm.None, o.Get(FgfiLoss.Norm));
        Assert.Equal(FeatureReduction.Sum, o.Get(FgfiLoss.Reduction));
        Assert.Equal(AdapterKind.Conv1x1, o.Get(Adapters.Kernel));
        Assert.Equal(AdapterInit.Default, o.Get(Adapters.Init));
        Assert.Equal(TeacherPrecision.Float32, o.TeacherPrecision);
    }

    [Theory]
    [InlineData(0, 0, 0, 0.0)]      // delay: held at 0
    [InlineData(1, 0, 0, 0.0)]
    [InlineData(2, 0, 0, 1.0)]
    [InlineData(2, 4, 0, 0.25)]     // then the ramp over 4 iterations
    [InlineData(5, 4, 0, 1.0)]
    [InlineData(11, 0, 1, 0.1)]     // cosine decay to 0.1 at the last iteration
    [InlineData(2, 0, 1, 1.0)]
    [InlineData(11, 0, 2, 0.1)]     // linear decay
    [InlineData(7, 0, 2, 0.5)]
    public void Weight_schedule_delays_ramps_and_decays(long iteration, long warmup, int decay, double expected)
    {
        var s = new WeightSchedule(Delay: 2, Warmup: warmup, Decay: (WeightDecay)decay, Final: 0.1);
        Assert.Equal(expected, s.Factor(new DistillProgress(iteration, 12)), 12);
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
        Assert.Contains("--adapter '5x5'", Assert.Throws<ArgumentException>(() => Adapters.Kernel.Parse("5x5")).Message);
    }

    [Fact]
    public void Small_adapter_init_starts_near_zero_as_fgfis_code()
    {
        using var g = new Generator(3);
        using var a = new Adapters([64], [128], AdapterKind.Conv1x1, AdapterInit.Small, g);
        var w = a.named_parameters().First().parameter;
        Assert.True(w.abs().max().item<float>() <= 2e-4f);
        Assert.InRange(w.std().item<float>(), 0.5e-4, 1.0e-4);
    }
}
