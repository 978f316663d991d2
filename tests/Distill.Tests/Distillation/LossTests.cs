using TorchSharp;
using YoloDistill.Detector.Model;
using YoloDistill.Distill.Distillation;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Tests.Distillation;

public class LossTests
{
    static Tensor T(float[] v, params long[] shape) => tensor(v).view(shape);

    [Fact]
    public void Fgfi_sums_masked_squares_over_channels_and_divides_by_twice_the_on_cells()
    {
        // Level 0: cell (0,0) on, channels 1 and 3 against 0 -> 1 + 9 = 10; cell (0,1) off (its 2 and 4 do not count).
        // Level 1: the single cell on, (2 - 0.5)^2 = 2.25. N_pos = 2 -> (10 + 2.25) / (2 * 2) = 3.0625.
        using var s0 = T([1, 2, 3, 4], 1, 2, 1, 2).requires_grad_();
        using var t0 = zeros(1, 2, 1, 2);
        using var m0 = tensor(new[] { true, false }).view(1, 1, 2);
        using var s1 = T([2], 1, 1, 1, 1).requires_grad_();
        using var t1 = T([0.5f], 1, 1, 1, 1);
        using var m1 = tensor(new[] { true }).view(1, 1, 1);
        var (loss, perLevel) = FgfiLoss.Compute([s0, s1], [t0, t1], [m0, m1]);
        using var _ = perLevel;
        using var __ = loss;
        Assert.Equal(3.0625f, loss.item<float>(), 6);
        Assert.Equal(new[] { 2.5f, 0.5625f }, perLevel.data<float>().ToArray());
        loss.backward();
        // d/ds = 2 (s - t) / (2 N_pos) on the on cells, 0 elsewhere.
        Assert.Equal(new[] { 0.5f, 0f, 1.5f, 0f }, s0.grad!.data<float>().ToArray());
        Assert.Equal(0.75f, s1.grad!.item<float>(), 6);
    }

    [Fact]
    public void Fgfi_with_no_cell_on_is_zero_and_keeps_the_graph()
    {
        using var s = randn(2, 3, 4, 4).requires_grad_();
        using var t = randn(2, 3, 4, 4);
        using var m = zeros(2, 4, 4, dtype: ScalarType.Bool);
        var (loss, _) = FgfiLoss.Compute([s], [t], [m]);
        Assert.Equal(0f, loss.item<float>());
        Assert.True(loss.requires_grad);
        loss.backward();
        Assert.Equal(0f, s.grad!.abs().sum().item<float>());
    }

    [Fact]
    public void Fgfi_rejects_mismatched_shapes()
    {
        using var s = zeros(1, 3, 4, 4);
        using var t = zeros(1, 4, 4, 4);
        using var m = zeros(1, 4, 4, dtype: ScalarType.Bool);
        Assert.Throws<ArgumentException>(() => FgfiLoss.Compute([s], [t], [m]));
        using var m2 = zeros(1, 2, 4, dtype: ScalarType.Bool);
        Assert.Throws<ArgumentException>(() => FgfiLoss.Compute([s], [s], [m2]));
    }

    [Fact]
    public void Fgfi_mean_reduction_and_per_level_balance()
    {
        // The two levels of the first test: sums 10 (2 channels, 1 on cell) and 2.25 (1 channel, 1 on cell).
        using var s0 = T([1, 2, 3, 4], 1, 2, 1, 2);
        using var t0 = zeros(1, 2, 1, 2);
        using var m0 = tensor(new[] { true, false }).view(1, 1, 2);
        using var s1 = T([2], 1, 1, 1, 1);
        using var t1 = T([0.5f], 1, 1, 1, 1);
        using var m1 = tensor(new[] { true }).view(1, 1, 1);
        // mean over channels, pooled N_pos = 2: (10/2 + 2.25/1) / (2*2) = 1.8125
        var (mean, _) = FgfiLoss.Compute([s0, s1], [t0, t1], [m0, m1], reduction: FeatureReduction.Mean);
        Assert.Equal(1.8125f, mean.item<float>(), 6);
        // per level: (10 / (2*1) + 2.25 / (2*1)) / 2 levels = 3.0625 here too, since each level has one cell
        var (perLevel, parts) = FgfiLoss.Compute([s0, s1], [t0, t1], [m0, m1], balance: LevelBalance.PerLevel);
        Assert.Equal(3.0625f, perLevel.item<float>(), 6);
        Assert.Equal(new[] { 2.5f, 0.5625f }, parts.data<float>().ToArray());
        // with two cells on level 0 (the second contributes 4 + 16 = 20) level 0 is averaged over its own 2 cells
        using var m0b = tensor(new[] { true, true }).view(1, 1, 2);
        var (pl2, _) = FgfiLoss.Compute([s0, s1], [t0, t1], [m0b, m1], balance: LevelBalance.PerLevel);
        Assert.Equal(((10f + 20f) / 4f + 2.25f / 2f) / 2f, pl2.item<float>(), 6);
        var (pooled2, _) = FgfiLoss.Compute([s0, s1], [t0, t1], [m0b, m1]);
        Assert.Equal((30f + 2.25f) / 6f, pooled2.item<float>(), 6);
    }

    [Fact]
    public void Fgfi_channel_standardisation_ignores_scale_and_offset()
    {
        using var g = new Generator(5);
        using var t = randn([2, 8, 6, 6], generator: g);
        using var s = (t * 7.5 + 3).requires_grad_();
        using var m = ones(2, 6, 6, dtype: ScalarType.Bool);
        var (raw, _) = FgfiLoss.Compute([s], [t], [m]);
        var (standardised, _) = FgfiLoss.Compute([s], [t], [m], norm: FeatureNorm.Channel);
        Assert.True(raw.item<float>() > 100);
        Assert.True(standardised.item<float>() < 1e-6, $"{standardised.item<float>()}");
        using var other = randn([2, 8, 6, 6], generator: g);
        var (unrelated, _) = FgfiLoss.Compute([other], [t], [m], norm: FeatureNorm.Channel, reduction: FeatureReduction.Mean);
        // Two independent standardised signals differ by about 2 per element; halved: about 1.
        Assert.InRange(unrelated.item<float>(), 0.8, 1.2);
    }

    [Fact]
    public void Cwd_is_kl_of_spatial_softmaxes_averaged_over_images_and_channels()
    {
        // Channel 0: teacher uniform (.5,.5), student softmax(0, ln 3) = (.25,.75): KL = .5 ln 2 + .5 ln(2/3) = .5 ln(4/3).
        // Channel 1: identical -> 0. Sum / (N*C = 2).
        using var t = T([0, 0, 1, 2], 1, 2, 1, 2);
        using var s = T([0, (float)Math.Log(3), 1, 2], 1, 2, 1, 2).requires_grad_();
        using var loss = CwdLoss.Compute([s], [t], tau: 1, norm: CwdNorm.None);
        Assert.Equal(0.5 * Math.Log(4.0 / 3) / 2, loss.item<float>(), 6);
        loss.backward();
        Assert.NotNull(s.grad);
    }

    [Fact]
    public void Cwd_temperature_softens_and_scales_by_tau_squared_and_levels_add()
    {
        using var t = T([0, (float)Math.Log(3)], 1, 1, 1, 2);
        using var s = zeros(1, 1, 1, 2);
        double e = Math.Exp(Math.Log(3) / 2), p0 = 1 / (1 + e), p1 = e / (1 + e);
        double kl = p0 * Math.Log(p0 / 0.5) + p1 * Math.Log(p1 / 0.5);
        using var loss = CwdLoss.Compute([s], [t], tau: 2, norm: CwdNorm.None);
        Assert.Equal(4 * kl, loss.item<float>(), 5);
        using var two = CwdLoss.Compute([s, s], [t, t], tau: 2, norm: CwdNorm.None);
        Assert.Equal(8 * kl, two.item<float>(), 5);
        Assert.Throws<ArgumentException>(() => CwdLoss.Compute([s], [t], tau: 0));
    }

    /// <summary>CWD with BN-norm computed element by element in doubles: explicit per-channel standardisation over batch and positions (biased variance, ε 1e-5), then KL of the spatial softmaxes.</summary>
    static double CwdBnReference(float[] s, float[] t, int n, int c, int hw, double tau)
    {
        double[] Standardise(float[] x)
        {
            var y = new double[x.Length];
            for (int ch = 0; ch < c; ch++)
            {
                var idx = Enumerable.Range(0, n).SelectMany(b => Enumerable.Range(0, hw).Select(p => (b * c + ch) * hw + p)).ToArray();
                double mean = idx.Average(k => (double)x[k]);
                double var = idx.Average(k => (x[k] - mean) * (x[k] - mean));
                foreach (var k in idx) y[k] = (x[k] - mean) / Math.Sqrt(var + 1e-5);
            }
            return y;
        }
        var ss = Standardise(s);
        var ts = Standardise(t);
        double total = 0;
        for (int row = 0; row < n * c; row++)
        {
            var a = Enumerable.Range(0, hw).Select(p => ts[row * hw + p] / tau).ToArray();
            var b = Enumerable.Range(0, hw).Select(p => ss[row * hw + p] / tau).ToArray();
            double za = a.Sum(Math.Exp), zb = b.Sum(Math.Exp);
            for (int p = 0; p < hw; p++)
            {
                double pt = Math.Exp(a[p]) / za, ps = Math.Exp(b[p]) / zb;
                total += pt * Math.Log(pt / ps);
            }
        }
        return total * tau * tau / (n * c);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(2.0)]
    public void Cwd_bn_matches_explicit_standardisation_and_ignores_the_teachers_per_channel_scale_and_offset(double tau)
    {
        using var g = new Generator(11);
        using var t = randn([2, 3, 4, 5], generator: g) * 3 + 1;
        using var s = randn([2, 3, 4, 5], generator: g).requires_grad_();
        using var loss = CwdLoss.Compute([s], [t], tau, CwdNorm.Bn);
        double reference = CwdBnReference(s.detach().data<float>().ToArray(), t.data<float>().ToArray(), 2, 3, 20, tau);
        Assert.True(reference > 0.05, $"{reference}");
        Assert.Equal(reference, loss.item<float>(), 4);
        // A positive scale and an offset per channel of the teacher change nothing with BN-norm, everything without it.
        using var a = tensor(new float[] { 0.5f, 7f, 250f }).view(1, 3, 1, 1);
        using var o = tensor(new float[] { -3f, 40f, 0.5f }).view(1, 3, 1, 1);
        using var t2 = t * a + o;
        using var same = CwdLoss.Compute([s], [t2], tau, CwdNorm.Bn);
        Assert.Equal(loss.item<float>(), same.item<float>(), 4);
        using var raw = CwdLoss.Compute([s], [t], tau, CwdNorm.None);
        using var rawScaled = CwdLoss.Compute([s], [t2], tau, CwdNorm.None);
        Assert.True(Math.Abs(raw.item<float>() - rawScaled.item<float>()) > 0.1, $"{raw.item<float>()} {rawScaled.item<float>()}");
        loss.backward();
        Assert.True(s.grad!.abs().sum().item<float>() > 0);
    }

    static double Bce(double x, double y) => Math.Max(x, 0) - x * y + Math.Log(1 + Math.Exp(-Math.Abs(x)));
    static double Sig(double x) => 1 / (1 + Math.Exp(-x));

    [Fact]
    public void Kd_is_soft_bce_weighted_by_teacher_objectness()
    {
        // One level, one image, one anchor, a 1x2 grid, nc = 2 (outputs: 4 box, obj, 2 classes = 7).
        float[] tv = [9, 9, 9, 9, (float)Math.Log(3), 0, 1, 9, 9, 9, 9, -1, 2, -2];
        float[] sv = [0, 0, 0, 0, 0, 0.5f, -1, 0, 0, 0, 0, 1, 0, 0];
        using var t = T(tv, 1, 1, 1, 2, 7);
        using var s = T(sv, 1, 1, 1, 2, 7).requires_grad_();
        foreach (var temp in new[] { 1.0, 2.0 })
        {
            double num = 0, den = 0;
            for (int c = 0; c < 2; c++)
            {
                int o = 7 * c;
                double w = Sig(tv[o + 4]);
                double cell = Bce(sv[o + 4] / temp, Sig(tv[o + 4] / temp))
                    + (Bce(sv[o + 5] / temp, Sig(tv[o + 5] / temp)) + Bce(sv[o + 6] / temp, Sig(tv[o + 6] / temp))) / 2;
                num += w * cell;
                den += w;
            }
            using var loss = KdLoss.Compute([s], [t], temp);
            Assert.Equal(temp * temp * num / den, loss.item<float>(), 5);
        }
        // One cell by hand: student logits 0 against σ(ln 3) = .75 and σ(0) = .5; BCE with a 0 logit is ln 2 whatever
        // the target, so obj + mean class = 2 ln 2, and the single weight cancels.
        using var t1 = T([0, 0, 0, 0, (float)Math.Log(3), 0], 1, 1, 1, 1, 6);
        using var s1 = zeros(new long[] { 1, 1, 1, 1, 6 });
        using var one = KdLoss.Compute([s1], [t1], 1.0);
        Assert.Equal(2 * Math.Log(2), one.item<float>(), 5);
    }

    [Fact]
    public void Kd_gradient_is_zero_when_student_equals_teacher()
    {
        using var t = randn(new long[] { 2, 3, 4, 4, 8 });
        using var s = t.clone().requires_grad_();
        using var loss = KdLoss.Compute([s], [t], 2.0);
        loss.backward();
        Assert.True(s.grad!.abs().max().item<float>() < 1e-6);
    }

    [Fact]
    public void Kd_needs_same_classes_levels_and_anchors()
    {
        var a = ModelConfig.FromName("yolov5s", 80);
        KdLoss.CheckCompatible(a, ModelConfig.FromName("yolov5n", 80));
        var e1 = Assert.Throws<ArgumentException>(() => KdLoss.CheckCompatible(a, ModelConfig.FromName("yolov5n", 3)));
        Assert.Contains("nc=80", e1.Message);
        var other = ModelConfig.FromName("yolov5n", 80) with { AnchorsPx = [[10, 14, 16, 30, 33, 23], [30, 61, 62, 45, 59, 119], [116, 90, 156, 198, 373, 326]] };
        Assert.Throws<ArgumentException>(() => KdLoss.CheckCompatible(a, other));
        using var s = zeros(new long[] { 1, 3, 2, 2, 85 });
        using var t = zeros(new long[] { 1, 3, 2, 2, 8 });
        Assert.Throws<ArgumentException>(() => KdLoss.Compute([s], [t]));
    }

    static readonly float Ln3 = (float)Math.Log(3);
    // σ⁻¹(√2/2): (2σ)² = 2, a box twice its anchor on each side.
    static readonly float Double = (float)Math.Log(Math.Sqrt(0.5) / (1 - Math.Sqrt(0.5)));
    static Tensor[] UnitAnchors() => [ones(new long[] { 1, 1, 1, 1, 2 })];

    /// <summary>
    /// One level, one image, one anchor of 1x1 grid units, a 1x3 grid, nc = 1 (outputs x, y, w, h, obj, cls):
    /// cell 0: teacher a 1x1 box with objectness σ(ln 3) = 0.75, student a 2x2 box on the same centre (IoU 1/4, CIoU = IoU: no
    /// centre distance, same aspect), 1 − CIoU = 3/4;
    /// cell 1: teacher 1x1 at x = 0.5 with objectness σ(0) = 0.5, student 1x1 at x = 1 (σ(ln 3)·2 − 0.5): IoU 1/3, centre
    /// distance² 1/4 over the enclosing diagonal² 1.5² + 1 = 13/4, CIoU = 1/3 − 1/13 = 10/39, 1 − CIoU = 29/39;
    /// cell 2: teacher objectness σ(−3) = 0.047 (below the default threshold 0.1), student box 4x wider.
    /// </summary>
    static (Tensor Student, Tensor Teacher) BoxCase()
    {
        float[] tv = [0, 0, 0, 0, Ln3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -3, 0];
        float[] sv = [0, 0, Double, Double, 0, 0, Ln3, 0, 0, 0, 0, 0, 3, 0, 3, -3, 0, 0];
        return (T(sv, 1, 1, 1, 3, 6).requires_grad_(), T(tv, 1, 1, 1, 3, 6));
    }

    [Fact]
    public void Kd_box_is_the_objectness_weighted_mean_of_one_minus_ciou_over_the_confident_cells()
    {
        var (s, t) = BoxCase();
        using var _ = s;
        using var __ = t;
        double d0 = 0.75, d1 = 29.0 / 39;
        // The default threshold (0.1) drops cell 2.
        var (loss, perLevel) = KdBoxLoss.Compute([s], [t], UnitAnchors());
        Assert.Equal((0.75 * d0 + 0.5 * d1) / (0.75 + 0.5), loss.item<float>(), 5);
        Assert.Equal(loss.item<float>(), perLevel.sum().item<float>(), 6);
        // Above 0.6 only cell 0 counts; at 0 cell 2 counts with its small weight and a large distance.
        Assert.Equal(d0, KdBoxLoss.Compute([s], [t], UnitAnchors(), threshold: 0.6).Loss.item<float>(), 5);
        Assert.True(KdBoxLoss.Compute([s], [t], UnitAnchors(), threshold: 0).Loss.item<float>() > loss.item<float>() + 1e-3);
        // What cell 2 asks for does not matter at the default threshold.
        using var s2 = s.detach().clone();
        s2[0, 0, 0, 2, 0] = tensor(-5f);
        s2[0, 0, 0, 2, 2] = tensor(-5f);
        Assert.Equal(loss.item<float>(), KdBoxLoss.Compute([s2], [t], UnitAnchors()).Loss.item<float>(), 6);
    }

    [Fact]
    public void Kd_box_gradient_reaches_only_the_students_box_outputs_and_vanishes_when_they_equal_the_teachers()
    {
        var (s, t) = BoxCase();
        using var _ = s;
        using var tg = t.requires_grad_();
        var (loss, _) = KdBoxLoss.Compute([s], [tg], UnitAnchors());
        loss.backward();
        Assert.Null(tg.grad);
        var grad = s.grad!;
        Assert.True(grad[TensorIndex.Ellipsis, TensorIndex.Slice(0, 4)].abs().sum().item<float>() > 0.01);
        Assert.Equal(0f, grad[TensorIndex.Ellipsis, TensorIndex.Slice(4)].abs().sum().item<float>());
        // Cell 2 is below the threshold: no gradient there.
        Assert.Equal(0f, grad[0, 0, 0, 2].abs().sum().item<float>());

        using var g = new Generator(4);
        using var teacher = randn([2, 3, 4, 4, 7], generator: g);
        teacher[TensorIndex.Ellipsis, 4] = teacher[TensorIndex.Ellipsis, 4] + 2;
        using var same = teacher.clone().requires_grad_();
        var anchors = HeadBoxes.AnchorsInGridUnits(ModelConfig.FromName("yolov5n", 2), CPU).Take(1).ToArray();
        var (zero, _) = KdBoxLoss.Compute([same], [teacher], anchors);
        Assert.True(zero.item<float>() < 1e-5, $"{zero.item<float>()}");
        using var other = (teacher + randn([2, 3, 4, 4, 7], generator: g) * 0.5).requires_grad_();
        var (positive, _) = KdBoxLoss.Compute([other], [teacher], anchors);
        Assert.True(positive.item<float>() > 0.05, $"{positive.item<float>()}");
    }

    [Fact]
    public void Kd_box_without_a_confident_cell_is_zero_and_keeps_the_graph_and_checks_its_inputs()
    {
        using var s = randn(new long[] { 1, 3, 2, 2, 7 }).requires_grad_();
        using var t = full(new long[] { 1, 3, 2, 2, 7 }, -6f);
        var (loss, _) = KdBoxLoss.Compute([s], [t], [ones(new long[] { 1, 3, 1, 1, 2 })]);
        Assert.Equal(0f, loss.item<float>());
        Assert.True(loss.requires_grad);
        using var wrong = zeros(new long[] { 1, 3, 4, 2, 7 });
        Assert.Throws<ArgumentException>(() => KdBoxLoss.Compute([s], [wrong], [ones(new long[] { 1, 3, 1, 1, 2 })]));
        Assert.Throws<ArgumentException>(() => KdBoxLoss.Compute([s], [t], []));
        var e = Assert.Throws<ArgumentException>(() => KdBoxLoss.Kind.Create(new LossSettings()).CheckCompatible(ModelConfig.FromName("yolov5s"),
            ModelConfig.FromName("yolov5n") with { AnchorsPx = [[10, 14, 16, 30, 33, 23], [30, 61, 62, 45, 59, 119], [116, 90, 156, 198, 373, 326]] }));
        Assert.Contains("Box distillation needs the same anchors", e.Message);
        // Box distillation compares boxes only: other class counts are fine.
        KdBoxLoss.Kind.Create(new LossSettings()).CheckCompatible(ModelConfig.FromName("yolov5s", 80), ModelConfig.FromName("yolov5n", 8));
    }

    [Fact]
    public void Kd_objectness_forms_on_a_hand_case()
    {
        // Cell 0 of the box case alone: teacher 1x1 box, objectness logit ln 3 (σ = 0.75), class logit 0; student 2x2 box on
        // the same centre (CIoU 1/4), objectness logit 1, class logit 0. The single weight cancels.
        float[] tv = [0, 0, 0, 0, Ln3, 0];
        float[] sv = [0, 0, Double, Double, 1, 0];
        using var t = T(tv, 1, 1, 1, 1, 6);
        using var s = T(sv, 1, 1, 1, 1, 6).requires_grad_();
        double cls = Math.Log(2);   // BCE with a 0 logit, whatever the target
        // iou: the teacher is confident (0.75 >= 0.1), so the target is the CIoU of the two boxes, 1/4.
        using var iou = KdLoss.Compute([s], [t], 1.0, KdObjectness.Iou, UnitAnchors());
        Assert.Equal(Bce(1, 0.25) + cls, iou.item<float>(), 5);
        // Below the threshold the teacher sees no object there: target 0.
        using var unsure = KdLoss.Compute([s], [t], 1.0, KdObjectness.Iou, UnitAnchors(), objThreshold: 0.8);
        Assert.Equal(Bce(1, 0) + cls, unsure.item<float>(), 5);
        using var soft = KdLoss.Compute([s], [t], 1.0, KdObjectness.Soft);
        Assert.Equal(Bce(1, 0.75) + cls, soft.item<float>(), 5);
        using var none = KdLoss.Compute([s], [t], 1.0, KdObjectness.None);
        Assert.Equal(cls, none.item<float>(), 5);
        // At T = 2 the classes are softened and scaled by T², the iou objectness is neither.
        using var iouT2 = KdLoss.Compute([s], [t], 2.0, KdObjectness.Iou, UnitAnchors());
        Assert.Equal(Bce(1, 0.25) + 4 * cls, iouT2.item<float>(), 5);
        // The target is detached: the objectness form does not move the student's box.
        iou.backward();
        Assert.Equal(0f, s.grad![TensorIndex.Ellipsis, TensorIndex.Slice(0, 4)].abs().sum().item<float>());
        Assert.Equal(Sig(1) - 0.25, s.grad![0, 0, 0, 0, 4].item<float>(), 5);
        Assert.Throws<ArgumentException>(() => KdLoss.Compute([s], [t], 1.0, KdObjectness.Iou));
    }
}
