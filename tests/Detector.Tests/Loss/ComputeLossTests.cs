using YoloDistill.Detector.Common;
using YoloDistill.Detector.Loss;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Training;
using YoloDistill.Detector.Weights;
using YoloDistill.Tests;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Loss;

/// <summary>ComputeLoss against Ultralytics v7.0 ComputeLoss on the bus + zidane fixtures (values and gradients).</summary>
public class ComputeLossTests
{
    static ComputeLoss NewLoss() =>
        new(new Hyp().ScaledForModel(3, 80, 640), ModelConfig.FromName("yolov5n"));

    [Theory]
    [InlineData("")]
    [InlineData("_b")]
    public void Loss_items_and_gradients_match_ultralytics(string suffix)
    {
        using var file = SafeTensors.Load(RefData.Require("reference/loss_bus_zidane.safetensors"));
        using var scope = NewDisposeScope();
        var p = new[] { "p3", "p4", "p5" }.Select(k => file[k].detach().clone().requires_grad_(true)).ToArray();
        using var loss = NewLoss();
        var (total, items) = loss.Compute(p, file["targets" + suffix]);

        Assert.Equal(new long[] { 1 }, total.shape);
        Assert.Equal(new long[] { 3 }, items.shape);
        Assert.False(items.requires_grad);
        AssertRelative(file["loss_total" + suffix], total.detach(), 1e-4);
        AssertRelative(file["loss_items" + suffix], items, 1e-4);

        total.backward();
        for (int i = 0; i < 3; i++)
        {
            var expected = file[$"grad_p{i + 3}{suffix}"];
            var err = (p[i].grad! - expected).abs().max().item<float>();
            var scale = expected.abs().max().item<float>();
            Assert.True(err < 1e-5, $"grad_p{i + 3}{suffix}: max abs error {err}");
            // Gradients are small (the loss is a mean over 2x3x80x80 cells), so also hold them to 0.1% of their peak.
            Assert.True(scale > 1e-6 && err <= 1e-3 * scale, $"grad_p{i + 3}{suffix}: max abs error {err} vs peak {scale}");
        }
    }

    [Fact]
    public void No_targets_gives_only_objectness_loss()
    {
        using var file = SafeTensors.Load(RefData.Require("reference/loss_bus_zidane.safetensors"));
        using var scope = NewDisposeScope();
        var p = new[] { "p3", "p4", "p5" }.Select(k => file[k]).ToArray();
        using var loss = NewLoss();
        var (total, items) = loss.Compute(p, zeros(0, 6));
        var it = items.data<float>().ToArray();
        Assert.Equal(0f, it[0]);
        Assert.Equal(0f, it[2]);
        // With every objectness target 0, lobj = sum_i balance_i * mean(softplus(p_obj)).
        var balance = new[] { 4.0, 1.0, 0.4 };
        double expected = 0;
        for (int i = 0; i < 3; i++)
            expected += balance[i] * nn.functional.softplus(p[i].select(-1, 4)).mean().item<float>();
        Assert.Equal(expected, it[1], 5);
        Assert.Equal(it[1] * 2, total.item<float>(), 5);
    }

    [Fact]
    public void Label_smoothing_and_focal_loss_change_the_class_term_as_ultralytics_defines()
    {
        using var file = SafeTensors.Load(RefData.Require("reference/loss_bus_zidane.safetensors"));
        using var scope = NewDisposeScope();
        var p = new[] { "p3", "p4", "p5" }.Select(k => file[k]).ToArray();
        var cfg = ModelConfig.FromName("yolov5n");
        var baseHyp = new Hyp().ScaledForModel(3, 80, 640);
        using var plain = new ComputeLoss(baseHyp, cfg);
        using var smooth = new ComputeLoss(baseHyp with { LabelSmoothing = 0.1 }, cfg);
        using var focal = new ComputeLoss(baseHyp with { FlGamma = 1.5 }, cfg);
        var a = plain.Compute(p, file["targets"]).items.data<float>().ToArray();
        var b = smooth.Compute(p, file["targets"]).items.data<float>().ToArray();
        var c = focal.Compute(p, file["targets"]).items.data<float>().ToArray();
        Assert.Equal(a[0], b[0]);
        Assert.Equal(a[1], b[1]);
        Assert.True(b[2] > a[2] * 1.5, $"smoothing should raise the class loss: {a[2]} -> {b[2]}");
        Assert.Equal(a[0], c[0]);
        Assert.True(c[1] < a[1] && c[2] < a[2], "focal loss down-weights easy examples");
    }

    [Fact]
    public void Cached_constants_survive_the_dispose_scope_of_the_first_step()
    {
        using var file = SafeTensors.Load(RefData.Require("reference/loss_bus_zidane.safetensors"));
        var p = new[] { "p3", "p4", "p5" }.Select(k => file[k]).ToArray();
        using var loss = NewLoss();
        float first, second;
        using (var step = NewDisposeScope())
            first = loss.Compute(p, file["targets"]).loss.item<float>();
        using (var step = NewDisposeScope())
            second = loss.Compute(p, file["targets"]).loss.item<float>();
        Assert.Equal(first, second);
        AssertRelative(file["loss_total"], tensor(new[] { second }), 1e-4);
    }

    static void AssertRelative(Tensor expected, Tensor actual, double rel)
    {
        var e = expected.data<float>().ToArray();
        var a = actual.data<float>().ToArray();
        Assert.Equal(e.Length, a.Length);
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(a[i] - e[i]) <= rel * Math.Abs(e[i]), $"element {i}: expected {e[i]:R}, got {a[i]:R}");
    }
}
