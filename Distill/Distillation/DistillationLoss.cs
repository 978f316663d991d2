using TorchSharp;
using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Distillation;

/// <summary>One selected loss's part of a step: its weight now, its unweighted value and its per-level parts (if any).</summary>
public sealed record DistillTerm(string Name, double Weight, Tensor Value, Tensor? PerLevel)
{
    /// <summary>Weight × value, in the student's graph.</summary>
    public Tensor Weighted => Value * Weight;
}

/// <summary>The distillation terms of one step, weighted and summed, with each term for logging and diagnostics.</summary>
/// <param name="Total">Σ of the weighted terms (scalar, in the student's graph).</param>
/// <param name="Terms">Each selected loss, in registry order (values in the graph).</param>
public sealed record DistillTerms(Tensor Total, IReadOnlyList<DistillTerm> Terms) : IDisposable
{
    /// <summary>The term of the loss called <paramref name="name"/>, or null when it was not selected.</summary>
    public DistillTerm? this[string name] => Terms.FirstOrDefault(t => t.Name == name);

    public void Dispose()
    {
        Total.Dispose();
        foreach (var t in Terms)
        {
            t.Value.Dispose();
            t.PerLevel?.Dispose();
        }
    }
}

/// <summary>
/// The selected distillation losses for one (student output, teacher output, targets) step: adapts the student's
/// features when a loss compares them, computes each loss and weighs it by its schedule.
/// </summary>
public sealed class DistillationLoss
{
    readonly ModelConfig student;
    readonly IReadOnlyList<IDistillationLoss> losses;
    readonly DistillSchedule schedule;

    public Adapters? Adapters { get; }
    public DistillOptions Options { get; }
    /// <summary>The student's configuration whose strides and anchors the losses use (FGFI's masks are built from its anchors).</summary>
    public ModelConfig StudentConfig => student;
    /// <summary>The run's hyp anchor_t, handed to the losses with every step (FGFI's matched levels).</summary>
    public double AnchorT { get; }

    /// <remarks>anchorT is the run's hyp anchor_t (<see cref="Detector.Common.Hyp.AnchorT"/>).</remarks>
    public DistillationLoss(DistillOptions options, ModelConfig teacher, ModelConfig student, Adapters? adapters, double anchorT = ImitationMask.AnchorT)
    {
        options.Validate();
        if (options.NeedsAdapters && adapters is null)
            throw new ArgumentException($"{options.Method} compares features and needs adapters.");
        if (teacher.NumLevels != student.NumLevels || !teacher.Strides.SequenceEqual(student.Strides))
            throw new ArgumentException($"Teacher ({teacher.ModelName}, strides {string.Join(",", teacher.Strides)}) and student ({student.ModelName}, strides {string.Join(",", student.Strides)}) do not share feature levels.");
        losses = options.Losses.Select(k => k.Create(options.Effective)).ToArray();
        schedule = new DistillSchedule(options.Effective);
        foreach (var l in losses) l.CheckCompatible(teacher, student);
        Options = options;
        this.student = student;
        Adapters = adapters;
        AnchorT = anchorT;
    }

    /// <summary>Builds adapters from the two configs' feature channels (P3/P4/P5 of each scale) as the options say.</summary>
    public static Adapters CreateAdapters(ModelConfig teacher, ModelConfig student, DistillOptions options, Generator? generator = null) =>
        new(FeatureChannels.Of(student), FeatureChannels.Of(teacher), options.Get(Distillation.Adapters.Kernel), options.Get(Distillation.Adapters.Init), generator);

    /// <summary>The run-level schedule (decay of every weight, last epochs without distillation).</summary>
    public DistillSchedule Schedule => schedule;

    /// <summary>The selected losses' weights at <paramref name="progress"/>, by name: each loss's own, times the run's schedule.</summary>
    public IReadOnlyDictionary<string, double> WeightsAt(DistillProgress progress) => losses.ToDictionary(l => l.Name, l => WeightAt(l, progress));

    double WeightAt(IDistillationLoss loss, DistillProgress progress) => loss.WeightAt(progress) * schedule.Factor(progress);

    /// <param name="s">Student output of this step (training mode, with graph).</param>
    /// <param name="t">Teacher output on the same batch (no graph).</param>
    /// <param name="targets">The batch's (n,6) targets, normalised by the input size.</param>
    /// <param name="progress">Where training is (drives the weight schedules).</param>
    public DistillTerms Compute(YoloOutput s, YoloOutput t, Tensor targets, DistillProgress progress)
    {
        using var scope = NewDisposeScope();
        Tensor[]? adapted = null;
        if (Options.NeedsAdapters)
        {
            adapted = Adapters!.forward(s.Features);
            for (int i = 0; i < adapted.Length; i++)
                if (!adapted[i].shape.SequenceEqual(t.Features[i].shape))
                    throw new ArgumentException($"Level {i}: adapted student features {string.Join("x", adapted[i].shape)} do not match the teacher's {string.Join("x", t.Features[i].shape)}.");
        }
        var step = new DistillStep(s, t, adapted, targets, student) { AnchorT = AnchorT };
        var terms = new List<DistillTerm>();
        Tensor? total = null;
        foreach (var loss in losses)
        {
            var v = loss.Compute(step);
            var term = new DistillTerm(loss.Name, WeightAt(loss, progress), v.Loss, v.PerLevel);
            var weighted = term.Weighted;
            total = total is null ? weighted : total + weighted;
            terms.Add(term);
        }
        var result = new DistillTerms(total!, terms);
        scope.MoveToOuter(result.Total);
        foreach (var term in terms)
        {
            scope.MoveToOuter(term.Value);
            if (term.PerLevel is not null) scope.MoveToOuter(term.PerLevel);
        }
        return result;
    }
}
