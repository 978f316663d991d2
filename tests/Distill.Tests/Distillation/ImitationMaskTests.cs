using TorchSharp;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Model;
using YoloDistill.Distill.Distillation;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Tests.Distillation;

public class ImitationMaskTests
{
    static readonly ModelConfig Cfg = ModelConfig.FromName("yolov5n");

    static Tensor Targets(double[][] rows) =>
        rows.Length == 0 ? zeros(0, 6) : tensor(rows.SelectMany(r => r.Select(v => (float)v)).ToArray()).view(rows.Length, 6);

    static void AssertMatchesReference(double[][] rows, int batch, int img, double psi = 0.5)
    {
        using var t = Targets(rows);
        var masks = ImitationMask.Build(t, batch, img, img, Cfg, psi);
        try
        {
            for (int l = 0; l < 3; l++)
            {
                var expected = MaskReference.Level(rows, batch, img, Cfg.Strides[l], Cfg.AnchorsPx[l], psi);
                int g = img / Cfg.Strides[l];
                Assert.Equal(new long[] { batch, g, g }, masks[l].shape);
                Assert.Equal(ScalarType.Bool, masks[l].dtype);
                var got = masks[l].data<bool>().ToArray();
                for (int b = 0; b < batch; b++)
                for (int y = 0; y < g; y++)
                for (int x = 0; x < g; x++)
                    Assert.True(expected[b, y, x] == got[(b * g + y) * g + x], $"level {l} image {b} cell y={y} x={x}: expected {expected[b, y, x]}");
            }
        }
        finally { foreach (var m in masks) m.Dispose(); }
    }

    static List<(int y, int x)> OnCells(Tensor mask, int b)
    {
        var m = mask[b];
        var list = new List<(int, int)>();
        for (int y = 0; y < m.shape[0]; y++)
        for (int x = 0; x < m.shape[1]; x++)
            if (m[y, x].item<bool>()) list.Add((y, x));
        return list;
    }

    [Fact]
    public void One_box_equal_to_an_anchor_marks_only_its_cell_on_P3()
    {
        // A 10x13 box centred on P3 cell (2,2) (centre (20,20)) coincides with anchor (10,13): M_g = 1, and every other
        // anchor of that or a neighbouring cell has IoU <= 130/480 = 0.27 < 0.5, so exactly one cell is on.
        using var t = Targets([[0, 0, 20 / 64.0, 20 / 64.0, 10 / 64.0, 13 / 64.0]]);
        var masks = ImitationMask.Build(t, 1, 64, 64, Cfg);
        Assert.Equal([(2, 2)], OnCells(masks[0], 0));
        AssertMatchesReference([[0, 0, 20 / 64.0, 20 / 64.0, 10 / 64.0, 13 / 64.0]], 1, 64);
    }

    [Fact]
    public void One_box_matches_reference_on_every_level()
    {
        AssertMatchesReference([[0, 3, 0.45, 0.55, 0.3, 0.2]], 1, 128);
    }

    [Fact]
    public void Two_boxes_give_the_union_of_their_masks()
    {
        double[] a = [0, 1, 0.3, 0.3, 0.2, 0.25], b = [0, 2, 0.7, 0.65, 0.35, 0.3];
        AssertMatchesReference([a, b], 1, 128);
        using var ta = Targets([a]);
        using var tb = Targets([b]);
        using var tab = Targets([a, b]);
        var ma = ImitationMask.Build(ta, 1, 128, 128, Cfg);
        var mb = ImitationMask.Build(tb, 1, 128, 128, Cfg);
        var mab = ImitationMask.Build(tab, 1, 128, 128, Cfg);
        for (int l = 0; l < 3; l++)
            Assert.True(mab[l].eq(ma[l].logical_or(mb[l])).all().item<bool>(), $"level {l}");
        // Each box has its own M_g: the small box still marks cells although the large box's IoUs are higher.
        Assert.True(ma[0].sum().item<long>() > 0);
    }

    [Fact]
    public void Box_at_the_border_matches_reference()
    {
        // Left edge box (clipped by augmentation to x in [0, 10]) and a bottom-right corner box.
        AssertMatchesReference([[0, 0, 5 / 96.0, 0.5, 10 / 96.0, 0.4], [0, 0, 0.95, 0.95, 0.1, 0.1]], 1, 96);
    }

    [Fact]
    public void Tiny_box_matches_reference_and_still_marks_its_cell()
    {
        double[] tiny = [0, 0, 33.0 / 64, 41.0 / 64, 2.0 / 64, 2.0 / 64];
        AssertMatchesReference([tiny], 1, 64);
        using var t = Targets([tiny]);
        var masks = ImitationMask.Build(t, 1, 64, 64, Cfg);
        // The box lies in P3 cell (x=4, y=5), whose anchor 0 gives the highest IoU (4/130).
        Assert.Contains((5, 4), OnCells(masks[0], 0));
    }

    [Fact]
    public void Image_without_boxes_has_an_empty_mask()
    {
        double[][] rows = [[0, 0, 0.3, 0.4, 0.2, 0.2], [2, 5, 0.6, 0.5, 0.4, 0.5]];
        AssertMatchesReference(rows, 3, 64);
        using var t = Targets(rows);
        var masks = ImitationMask.Build(t, 3, 64, 64, Cfg);
        foreach (var m in masks)
        {
            Assert.Equal(0, m[1].sum().item<long>());
            Assert.True(m[0].sum().item<long>() > 0);
            Assert.True(m[2].sum().item<long>() > 0);
        }
    }

    [Fact]
    public void No_targets_at_all_gives_empty_masks_of_the_right_shape()
    {
        using var t = zeros(0, 6);
        var masks = ImitationMask.Build(t, 2, 96, 64, Cfg);
        Assert.Equal(new long[] { 2, 12, 8 }, masks[0].shape);
        Assert.Equal(new long[] { 2, 6, 4 }, masks[1].shape);
        Assert.Equal(new long[] { 2, 3, 2 }, masks[2].shape);
        Assert.All(masks, m => Assert.Equal(0, m.sum().item<long>()));
        using var n = ImitationMask.CountOn(masks);
        Assert.Equal(0f, n.item<float>());
    }

    [Fact]
    public void Many_boxes_over_a_batch_match_reference_with_other_psi()
    {
        var rng = new Random(7);
        var rows = Enumerable.Range(0, 12).Select(i => new double[]
        {
            i % 4, rng.Next(80), 0.15 + 0.7 * rng.NextDouble(), 0.15 + 0.7 * rng.NextDouble(),
            0.02 + 0.28 * rng.NextDouble(), 0.02 + 0.28 * rng.NextDouble(),
        }).ToArray();
        AssertMatchesReference(rows, 5, 128, psi: 0.5);
        AssertMatchesReference(rows, 5, 128, psi: 0.7);
    }

    [Fact]
    public void Degenerate_box_marks_nothing_and_leaves_other_boxes_alone()
    {
        double[] flat = [0, 0, 0.5, 0.5, 0.3, 0], normal = [0, 0, 0.3, 0.3, 0.2, 0.2];
        using var t = Targets([flat]);
        Assert.All(ImitationMask.Build(t, 1, 64, 64, Cfg), m => Assert.Equal(0, m.sum().item<long>()));
        AssertMatchesReference([flat, normal], 1, 64);
    }

    [Fact]
    public void Bad_targets_are_rejected()
    {
        using var t = zeros(3, 5);
        Assert.Throws<ArgumentException>(() => ImitationMask.Build(t, 1, 64, 64, Cfg));
        using var ok = zeros(0, 6);
        Assert.Throws<ArgumentException>(() => ImitationMask.Build(ok, 1, 64, 64, Cfg, psi: 1.5));
    }

    [Fact]
    public void Matched_levels_follow_the_runs_anchor_t()
    {
        // Two levels, one anchor each: 10x10 on stride 8, 30x30 on stride 16. A 30x30 box is 3x the first anchor on
        // both sides and equal to the second. build_targets' rule max(r, 1/r) < anchor_t matches it to the first level
        // with anchor_t 4 (Hyp's default) but not with 2, where only the second level keeps it.
        using var t = Targets([[0, 0, 0.5, 0.5, 30 / 64.0, 30 / 64.0]]);
        (long, long)[] sizes = [(8, 8), (4, 4)];
        int[] strides = [8, 16];
        float[][] anchors = [[10, 10], [30, 30]];
        var byDefault = ImitationMask.Build(t, 1, 64, 64, sizes, strides, anchors, levels: LevelAssignment.Matched);
        var at4 = ImitationMask.Build(t, 1, 64, 64, sizes, strides, anchors, levels: LevelAssignment.Matched, anchorT: 4);
        var at2 = ImitationMask.Build(t, 1, 64, 64, sizes, strides, anchors, levels: LevelAssignment.Matched, anchorT: 2);
        try
        {
            Assert.Equal(ImitationMask.AnchorT, new Hyp().AnchorT);
            Assert.NotEmpty(OnCells(at4[0], 0));
            Assert.Empty(OnCells(at2[0], 0));
            Assert.NotEmpty(OnCells(at2[1], 0));
            Assert.Equal(OnCells(at4[1], 0), OnCells(at2[1], 0));
            for (int l = 0; l < 2; l++) Assert.Equal(OnCells(at4[l], 0), OnCells(byDefault[l], 0));
        }
        finally { foreach (var m in byDefault.Concat(at4).Concat(at2)) m.Dispose(); }
    }
}
