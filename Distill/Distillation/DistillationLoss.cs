using TorchSharp;
using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Distillation;

/// <summary>The distillation terms of one step, weighted and summed, with each unweighted term for logging.</summary>
/// <param name="Total">Σ of the selected weighted terms (scalar, in the student's graph).</param>
/// <param name="Imitation">Unweighted FGFI loss (detached), or null when not selected.</param>
/// <param name="Cwd">Unweighted CWD loss (detached), or null.</param>
/// <param name="Kd">Unweighted KD loss (detached), or null.</param>
/// <param name="MaskCells">N_pos of the step's FGFI masks, or 0.</param>
public sealed record DistillTerms(Tensor Total, Tensor? Imitation, Tensor? Cwd, Tensor? Kd, double MaskCells) : IDisposable
{
    public void Dispose()
    {
        Total.Dispose();
        Imitation?.Dispose();
        Cwd?.Dispose();
        Kd?.Dispose();
    }
}

/// <summary>
/// The selected distillation losses for a (student output, teacher output, targets) triple: builds the FGFI masks
/// from the batch's targets, adapts the student features, and weighs FGFI (with its warm-up), CWD and KD.
/// </summary>
public sealed class DistillationLoss
{
    readonly DistillOptions options;
    readonly ModelConfig student;

    public Adapters? Adapters { get; }

    public DistillationLoss(DistillOptions options, ModelConfig teacher, ModelConfig student, Adapters? adapters)
    {
        options.Validate();
        if (options.NeedsAdapters && adapters is null)
            throw new ArgumentException($"{DistillMethodParser.Format(options.Method)} compares features and needs adapters.");
        if (teacher.NumLevels != student.NumLevels || !teacher.Strides.SequenceEqual(student.Strides))
            throw new ArgumentException($"Teacher ({teacher.ModelName}, strides {string.Join(",", teacher.Strides)}) and student ({student.ModelName}, strides {string.Join(",", student.Strides)}) do not share feature levels.");
        if (options.Method.HasFlag(DistillMethod.Kd)) KdLoss.CheckCompatible(teacher, student);
        this.options = options;
        this.student = student;
        Adapters = adapters;
    }

    /// <summary>Builds adapters from the two configs' feature channels (P3/P4/P5 of each scale).</summary>
    public static Adapters CreateAdapters(ModelConfig teacher, ModelConfig student, AdapterKind kind) =>
        new(FeatureChannels.Of(student), FeatureChannels.Of(teacher), kind);

    /// <param name="s">Student output of this step (training mode, with graph).</param>
    /// <param name="t">Teacher output on the same batch (no graph).</param>
    /// <param name="targets">The batch's (n,6) targets, normalised by the input size.</param>
    /// <param name="iteration">Global iteration index (for the FGFI warm-up).</param>
    public DistillTerms Compute(YoloOutput s, YoloOutput t, Tensor targets, long iteration)
    {
        using var scope = NewDisposeScope();
        var m = options.Method;
        Tensor? total = null;
        Tensor? imit = null, cwd = null, kd = null;
        double nPos = 0;
        Tensor[]? adapted = null;
        if (options.NeedsAdapters)
        {
            adapted = Adapters!.forward(s.Features);
            for (int i = 0; i < adapted.Length; i++)
                if (!adapted[i].shape.SequenceEqual(t.Features[i].shape))
                    throw new ArgumentException($"Level {i}: adapted student features {string.Join("x", adapted[i].shape)} do not match the teacher's {string.Join("x", t.Features[i].shape)}.");
        }
        if (m.HasFlag(DistillMethod.Fgfi))
        {
            var f0 = s.Features[0];
            int batch = (int)f0.shape[0];
            int inH = (int)f0.shape[2] * student.Strides[0], inW = (int)f0.shape[3] * student.Strides[0];
            var sizes = s.Features.Select(f => (f.shape[2], f.shape[3])).ToArray();
            var masks = ImitationMask.Build(targets, batch, inH, inW, sizes, student.Strides, student.AnchorsPx, options.Psi, f0.device);
            nPos = ImitationMask.CountOn(masks).item<float>();
            imit = FgfiLoss.Compute(adapted!, t.Features, masks);
            var w = FgfiLoss.WeightAt(options.ImitationWeight, iteration, options.ImitationWarmup);
            total = Add(total, imit * w);
        }
        if (m.HasFlag(DistillMethod.Cwd))
        {
            cwd = CwdLoss.Compute(adapted!, t.Features, options.CwdTau);
            total = Add(total, cwd * options.CwdWeight);
        }
        if (m.HasFlag(DistillMethod.Kd))
        {
            kd = KdLoss.Compute(s.Raw, t.Raw, options.KdTemperature);
            total = Add(total, kd * options.KdWeight);
        }
        var result = new DistillTerms(total!, imit?.detach(), cwd?.detach(), kd?.detach(), nPos);
        scope.MoveToOuter(result.Total);
        if (result.Imitation is not null) scope.MoveToOuter(result.Imitation);
        if (result.Cwd is not null) scope.MoveToOuter(result.Cwd);
        if (result.Kd is not null) scope.MoveToOuter(result.Kd);
        return result;
    }

    static Tensor Add(Tensor? a, Tensor b) => a is null ? b : a + b;
}
