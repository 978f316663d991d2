using YoloDistill.Detector.Loss;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Loss;

/// <summary>build_targets on hand cases: neighbour cells, row order (offset, anchor, target), anchor_t and the edge clamp.</summary>
public class BuildTargetsTests
{
    static TargetAssignment Assign(float[] targets, float[] anchors)
    {
        var t = tensor(targets).view(-1, 6);
        var a = tensor(anchors).view(-1, 2);
        var offsets = tensor(new float[] { 0, 0, 1, 0, 0, 1, -1, 0, 0, -1 }).view(5, 2) * 0.5;
        var gain = tensor(new float[] { 1, 1, 8, 8, 8, 8, 1 });
        return BuildTargets.ForLevel(BuildTargets.Expand(t, (int)a.shape[0]), a, offsets, gain, 8, 8, 4.0);
    }

    static long[] L(Tensor t) => t.data<long>().ToArray();

    [Fact]
    public void Centre_cell_and_the_two_nearest_neighbours_in_offset_major_order()
    {
        using var scope = NewDisposeScope();
        // Grid 8x8; centre (2.25, 5.75) in cells: nearest neighbours are left (x - 0.5) and below (y + 0.5).
        using var a = Assign(
            [0, 3, 2.25f / 8, 5.75f / 8, 1 / 8f, 1 / 8f,
             1, 7, 2.25f / 8, 5.75f / 8, 2 / 8f, 1 / 8f],
            [1, 1]);
        Assert.Equal(6, a.Count);
        Assert.Equal(new long[] { 3, 7, 3, 7, 3, 7 }, L(a.Class));
        Assert.Equal(new long[] { 0, 1, 0, 1, 0, 1 }, L(a.Image));
        Assert.Equal(new long[] { 2, 2, 1, 1, 2, 2 }, L(a.GridX));
        Assert.Equal(new long[] { 5, 5, 5, 5, 6, 6 }, L(a.GridY));
        Assert.Equal(new float[] { 0.25f, 0.75f, 1, 1 }, a.Box[0].data<float>().ToArray());
        Assert.Equal(new float[] { 1.25f, 0.75f, 1, 1 }, a.Box[2].data<float>().ToArray());
        Assert.Equal(new float[] { 0.25f, -0.25f, 1, 1 }, a.Box[4].data<float>().ToArray());
        Assert.Equal(new float[] { 2, 1 }, a.Box[1].narrow(0, 2, 2).data<float>().ToArray());
    }

    [Fact]
    public void Anchor_ratio_test_and_edge_clamp()
    {
        using var scope = NewDisposeScope();
        // wh 1x1 cells against anchors 1x1 (ratio 1), 3.9x1 (kept: 3.9 < 4) and 4x4 (ratio 4: rejected).
        // Centre exactly on the right edge (x = 8): the cell index 8 is clamped to 7, and the box offset follows the clamp.
        using var a = Assign([0, 0, 1f, 4.75f / 8, 1 / 8f, 1 / 8f], [1, 1, 3.9f, 1, 4, 4]);
        // Own cell (8 clamped to 7, so x offset 1 instead of 0), left neighbour (x - 0.5 = 7.5 -> 7) and lower neighbour
        // (y + 0.5), each for anchors 0 and 1.
        Assert.Equal(new long[] { 0, 1, 0, 1, 0, 1 }, L(a.Anchor));
        Assert.Equal(new long[] { 7, 7, 7, 7, 7, 7 }, L(a.GridX));
        Assert.Equal(new long[] { 4, 4, 4, 4, 5, 5 }, L(a.GridY));
        Assert.Equal(new float[] { 1, 1, 1, 1, 1, 1 }, a.Box.select(1, 0).data<float>().ToArray());
        Assert.Equal(new float[] { 3.9f, 1 }, a.AnchorWh[1].data<float>().ToArray());
    }

    [Fact]
    public void No_targets_give_no_positives()
    {
        using var scope = NewDisposeScope();
        using var a = Assign([], [1, 1, 2, 2, 3, 3]);
        Assert.Equal(0, a.Count);
        Assert.Equal(new long[] { 0, 4 }, a.Box.shape);
    }
}
