using TorchSharp;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Distillation;

/// <summary>
/// Fine-grained feature imitation loss (Wang et al., CVPR 2019, Eq. 3):
/// L_imit = λ · Σ_levels Σ_{b,c,h,w} I_{b,h,w} · (adapter(s) − t)²_{b,c,h,w} / (2 · N_pos),
/// N_pos = number of mask cells that are on, over all levels and images (channels are summed, not counted,
/// as in the reference implementation). With no cell on the loss is 0 and still part of the graph.
/// </summary>
public static class FgfiLoss
{
    /// <summary>λ of the paper and of its reference code.</summary>
    public const double DefaultWeight = 0.01;

    /// <summary>
    /// Unweighted imitation loss (λ = 1): the adapted student features, the teacher features and the (B,H,W) masks
    /// of each level. Returns a scalar.
    /// </summary>
    public static Tensor Compute(IReadOnlyList<Tensor> adaptedStudent, IReadOnlyList<Tensor> teacher, IReadOnlyList<Tensor> masks)
    {
        if (adaptedStudent.Count != teacher.Count || teacher.Count != masks.Count || teacher.Count == 0)
            throw new ArgumentException($"FGFI needs the same number of levels of student features ({adaptedStudent.Count}), teacher features ({teacher.Count}) and masks ({masks.Count}).");
        using var scope = NewDisposeScope();
        Tensor? sum = null;
        Tensor? nPos = null;
        for (int i = 0; i < teacher.Count; i++)
        {
            var s = adaptedStudent[i];
            var t = teacher[i];
            if (!s.shape.SequenceEqual(t.shape))
                throw new ArgumentException($"Level {i}: adapted student features ({string.Join("x", s.shape)}) and teacher features ({string.Join("x", t.shape)}) differ in shape.");
            var m = masks[i];
            if (m.dim() != 3 || m.shape[0] != t.shape[0] || m.shape[1] != t.shape[2] || m.shape[2] != t.shape[3])
                throw new ArgumentException($"Level {i}: mask ({string.Join("x", m.shape)}) does not match the features' batch and grid ({t.shape[0]}x{t.shape[2]}x{t.shape[3]}).");
            var mf = m.to(s.dtype).unsqueeze(1);
            var level = ((s - t.detach()).square() * mf).sum();
            sum = sum is null ? level : sum + level;
            var c = mf.sum();
            nPos = nPos is null ? c : nPos + c;
        }
        // max(N_pos, 1) leaves the empty case at 0 (the numerator is then 0) with gradients defined.
        var loss = sum! / (2 * nPos!.clamp_min(1));
        return scope.MoveToOuter(loss);
    }

    /// <summary>λ at a given iteration with an optional linear warm-up from 0 over <paramref name="warmupIterations"/>.</summary>
    public static double WeightAt(double weight, long iteration, long warmupIterations) =>
        warmupIterations <= 0 ? weight : weight * Math.Min(1.0, (iteration + 1) / (double)warmupIterations);
}
