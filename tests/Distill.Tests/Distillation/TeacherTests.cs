using TorchSharp;
using YoloDistill.Detector.Model;
using YoloDistill.Distill.Distillation;
using YoloDistill.Tests;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Tests.Distillation;

public class TeacherTests
{
    static Tensor Targets() => tensor(new float[]
    {
        0, 1, 0.30f, 0.40f, 0.25f, 0.30f,
        0, 5, 0.70f, 0.65f, 0.40f, 0.50f,
        1, 0, 0.50f, 0.50f, 0.10f, 0.12f,
    }).view(3, 6);

    static Dictionary<string, Tensor> Snapshot(nn.Module m) =>
        m.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    [Fact]
    public void Wider_teacher_stays_frozen_while_student_and_adapters_learn()
    {
        torch.manual_seed(1);
        using var teacher = new Teacher(new YoloModel(ModelConfig.FromName("yolov5s")), "yolov5s (random)");
        using var student = new YoloModel(ModelConfig.FromName("yolov5n"));
        var options = DistillOptions.For("fgfi+cwd+kd");
        using var adapters = DistillationLoss.CreateAdapters(teacher.Config, student.Config, options);
        var distill = new DistillationLoss(options, teacher.Config, student.Config, adapters);
        var before = Snapshot(teacher.Model);
        var adaptersBefore = Snapshot(adapters);
        using var sgd = optim.SGD(student.parameters().Concat(adapters.parameters()), 0.1, momentum: 0.9);

        // Even if something switches the whole teacher to training, its BatchNorm must keep its running statistics.
        teacher.Model.train();
        student.train();
        using var images = rand(2, 3, 64, 64);
        using var targets = Targets();
        using var t = teacher.Forward(images);
        Assert.False(teacher.Model.training);
        Assert.All(t.Features.Concat(t.Raw), x => Assert.False(x.requires_grad));
        Assert.Equal(new long[] { 128, 256, 512 }, t.Features.Select(f => f.shape[1]).ToArray());
        using var s = student.forward(images);
        Assert.Equal(new long[] { 64, 128, 256 }, s.Features.Select(f => f.shape[1]).ToArray());
        using var terms = distill.Compute(s, t, targets, new DistillProgress(0, 10));
        Assert.Equal(["fgfi", "cwd", "kd"], terms.Terms.Select(x => x.Name));
        Assert.All(terms.Terms, x => Assert.True(x.Value.item<float>() > 0, x.Name));
        Assert.Equal(3, terms["fgfi"]!.PerLevel!.shape[0]);
        terms.Total.backward();
        sgd.step();

        Assert.All(teacher.Model.parameters(), p => { Assert.False(p.requires_grad); Assert.Null(p.grad); });
        foreach (var (k, v) in teacher.Model.state_dict())
            Assert.True(v.eq(before[k]).all().item<bool>(), $"teacher {k} changed");
        Assert.All(adapters.parameters(), p => Assert.NotNull(p.grad));
        Assert.Contains(adapters.state_dict(), kv => !kv.Value.eq(adaptersBefore[kv.Key]).all().item<bool>());
        Assert.Contains(student.parameters(), p => p.grad is not null && p.grad.abs().sum().item<float>() > 0);
        foreach (var d in before.Values.Concat(adaptersBefore.Values)) d.Dispose();
    }

    [Fact]
    public void Imitation_weight_and_warmup_scale_the_total()
    {
        torch.manual_seed(2);
        using var teacher = new Teacher(new YoloModel(ModelConfig.FromName("yolov5n")), "n");
        using var student = new YoloModel(ModelConfig.FromName("yolov5n"));
        var options = new DistillOptions().With(FgfiLoss.Weight, 0.5).With(FgfiLoss.Warmup, 4L).With(Adapters.Kernel, AdapterKind.Conv3x3);
        using var adapters = DistillationLoss.CreateAdapters(teacher.Config, student.Config, options);
        var distill = new DistillationLoss(options, teacher.Config, student.Config, adapters);
        using var images = rand(2, 3, 64, 64);
        using var targets = Targets();
        using var t = teacher.Forward(images);
        using var s = student.forward(images);
        using var at1 = distill.Compute(s, t, targets, new DistillProgress(1, 100));
        using var at9 = distill.Compute(s, t, targets, new DistillProgress(9, 100));
        float imit = at9["fgfi"]!.Value.item<float>();
        Assert.Equal(0.5f * imit, at9.Total.item<float>(), 5);
        Assert.Equal(0.5f * 0.5f * imit, at1.Total.item<float>(), 5);
        Assert.Null(at9["cwd"]);
        Assert.Null(at9["kd"]);
    }

    [Fact]
    public void Mismatched_levels_and_classes_are_refused_before_training()
    {
        using var teacher = new Teacher(new YoloModel(ModelConfig.FromName("yolov5n", 80)), "teacher.pt");
        var three = ModelConfig.FromName("yolov5n", 3);
        teacher.CheckCompatible(three, DistillOptions.For("fgfi+cwd"));
        var kd = Assert.Throws<ArgumentException>(() => teacher.CheckCompatible(three, DistillOptions.For("fgfi+kd")));
        Assert.Contains("teacher.pt", kd.Message);
        Assert.Contains("nc=3", kd.Message);
        var strides = Assert.Throws<ArgumentException>(() => teacher.CheckCompatible(three with { Strides = [8, 16, 64] }, DistillOptions.For("fgfi")));
        Assert.Contains("strides", strides.Message);
        Assert.Throws<ArgumentException>(() => new DistillationLoss(new DistillOptions(), teacher.Config, three, adapters: null));
    }

    [Fact]
    public void Loads_frozen_in_eval_mode_from_weights_file()
    {
        var path = RefData.Require("weights/yolov5n.safetensors");
        using var teacher = Teacher.Load(path, CPU);
        Assert.Equal("n", teacher.Config.Scale);
        Assert.False(teacher.Model.training);
        Assert.All(teacher.Model.parameters(), p => Assert.False(p.requires_grad));
        Assert.Throws<FileNotFoundException>(() => Teacher.Load(Path.Combine(Path.GetTempPath(), "no-such-teacher.pt"), CPU));
        // The Ultralytics .pt of the same model gives the same teacher.
        using var pt = Teacher.Load(RefData.Require("weights/yolov5n.pt"), CPU);
        var a = teacher.Model.state_dict();
        foreach (var (k, v) in pt.Model.state_dict())
            if (v.is_floating_point()) Assert.True(v.allclose(a[k], rtol: 1e-3, atol: 1e-3), k);
    }

    [Theory]
    [InlineData(TeacherPrecision.Float32, 1e-4)]
    [InlineData(TeacherPrecision.BFloat16, 5e-2)]
    public void Fused_reduced_precision_forward_matches_the_loaded_model(TeacherPrecision precision, double relTol)
    {
        using var teacher = Teacher.Load(RefData.Require("weights/yolov5n.safetensors"), CPU);
        teacher.UsePrecision(precision, CPU);
        Assert.Equal(precision == TeacherPrecision.Float32 ? ScalarType.Float32 : ScalarType.BFloat16, teacher.ComputeType);
        using var g = new Generator(7);
        using var images = rand([2, 3, 128, 96], generator: g);
        using var t = teacher.Forward(images);
        using var reference = teacher.Model.forward(images);
        Assert.False(teacher.Model.IsFused); // the loaded weights stay as they are; a fused copy runs
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(ScalarType.Float32, t.Features[i].dtype);
            Assert.Equal(ScalarType.Float32, t.Raw[i].dtype);
            double scale = reference.Features[i].abs().max().item<float>();
            double err = (t.Features[i] - reference.Features[i]).abs().max().item<float>();
            Assert.True(err <= relTol * scale, $"P{i + 3} features ({precision}): max error {err:G3} vs scale {scale:G3}");
            double rawScale = reference.Raw[i].abs().max().item<float>();
            double rawErr = (t.Raw[i] - reference.Raw[i]).abs().max().item<float>();
            Assert.True(rawErr <= relTol * rawScale, $"P{i + 3} raw ({precision}): max error {rawErr:G3} vs scale {rawScale:G3}");
        }
        Assert.Throws<ArgumentException>(() => TeacherPrecisionParser.Parse("int8"));
    }
}
