using static TorchSharp.torch;

namespace YoloDistill.Detector.Loss;

/// <summary>
/// Ultralytics v7.0 ComputeLoss.build_targets: each target is matched to every anchor whose wh ratio is within
/// anchor_t (max(r, 1/r) &lt; anchor_t) and, besides its own cell, to the two neighbouring cells nearest to its centre
/// (offset bias g = 0.5), so that up to 3 cells per anchor learn it. Vectorised; the row order matches Ultralytics
/// exactly because objectness targets written to duplicate cells keep the last write.
/// </summary>
internal static class BuildTargets
{
    const double G = 0.5;

    /// <param name="anchors">(na, 2) anchors of this level in grid units.</param>
    /// <param name="expanded">targets repeated per anchor with the anchor index appended: (na, nt, 7).</param>
    /// <param name="offsets">(5, 2) cell offsets times g: (0,0), (1,0), (0,1), (-1,0), (0,-1).</param>
    /// <param name="gain">(7) = 1, 1, nx, ny, nx, ny, 1.</param>
    /// <param name="ny">Grid height of the level.</param>
    /// <param name="nx">Grid width of the level.</param>
    /// <param name="anchorT">Largest allowed wh ratio between a target and an anchor (hyp anchor_t).</param>
    public static TargetAssignment ForLevel(Tensor expanded, Tensor anchors, Tensor offsets, Tensor gain,
                                            long ny, long nx, double anchorT)
    {
        using var scope = NewDisposeScope();
        var t = expanded * gain;                                   // (na, nt, 7) in grid units
        var r = t.narrow(2, 4, 2) / anchors.unsqueeze(1);          // wh ratio to each anchor
        var match = maximum(r, r.reciprocal()).amax(2) < anchorT;  // (na, nt)
        var gxy = t.narrow(2, 2, 2);
        var gxi = gain.narrow(0, 2, 2) - gxy;                      // distance to the far edges
        var jk = (gxy.remainder(1.0) < G) & (gxy > 1);
        var lm = (gxi.remainder(1.0) < G) & (gxi > 1);
        // Ultralytics filters by anchor match, then repeats over the 5 offsets and filters again; the rows come out in
        // (offset, anchor, target) order, which is exactly the nonzero order of the combined (5, na, nt) mask.
        var sel = stack(new[] { ones_like(match), jk.select(2, 0), jk.select(2, 1), lm.select(2, 0), lm.select(2, 1) }) & match;
        var idx = sel.nonzero();                                   // (m, 3): offset, anchor, target; one host sync
        var off = offsets.index_select(0, idx.select(1, 0));
        t = t.index(idx.select(1, 1), idx.select(1, 2));           // (m, 7)

        var cols = t.split(new long[] { 2, 2, 2, 1 }, 1);          // (image, class), grid xy, grid wh, anchor
        var (bc, txy, twh, ta) = (cols[0], cols[1], cols[2], cols[3]);
        var a = ta.to_type(ScalarType.Int64).view(-1);
        var bcl = bc.to_type(ScalarType.Int64);
        var gij = (txy - off).to_type(ScalarType.Int64);           // truncation toward zero, as .long()
        // Ultralytics clamps gi/gj in place through views of gij, so the clamped cell also defines the box offset.
        var gi = gij.select(1, 0).clamp(0, nx - 1);
        var gj = gij.select(1, 1).clamp(0, ny - 1);
        var cell = stack(new[] { gi, gj }, 1);
        var box = cat(new[] { txy - cell, twh }, 1);

        var result = new TargetAssignment
        {
            Image = bcl.select(1, 0).contiguous(),
            Class = bcl.select(1, 1).contiguous(),
            Anchor = a,
            GridY = gj,
            GridX = gi,
            Box = box,
            AnchorWh = anchors[a],
        };
        foreach (var x in new[] { result.Image, result.Class, result.Anchor, result.GridY, result.GridX, result.Box, result.AnchorWh })
            scope.MoveToOuter(x);
        return result;
    }

    /// <summary>targets.repeat(na, 1, 1) with the anchor index appended as a 7th column: (na, nt, 7).</summary>
    public static Tensor Expand(Tensor targets, int na)
    {
        using var scope = NewDisposeScope();
        long nt = targets.shape[0];
        var ai = arange(na, device: targets.device, dtype: targets.dtype).view(na, 1).repeat(1, nt);
        return scope.MoveToOuter(cat(new[] { targets.repeat(na, 1, 1), ai.unsqueeze(2) }, 2));
    }
}
