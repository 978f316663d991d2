using TorchSharp;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Training;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Distillation;

/// <summary>
/// Distillation plugged into the trainer: the frozen teacher runs on every augmented batch the student sees, the
/// selected losses are added to the detection loss, the adapters are optimised with the student (in its parameter
/// groups) and saved beside it in the checkpoint for resume; exports read only the student's EMA weights, so the
/// adapters are never exported.
/// </summary>
/// <remarks>
/// Scaling: Ultralytics' detection loss is (lbox + lobj + lcls) · batch_size, i.e. per-image means times the batch.
/// The distillation terms are per-image quantities too (FGFI per on-cell, CWD per channel·image, KD per weighted
/// cell), so they are multiplied by the batch size as well: λ then weighs imitation against the per-image detection
/// loss exactly as in the papers, whatever the batch size. The results.csv columns hold the weighted per-image terms
/// (like train/box_loss holds the gain-weighted box loss).
/// </remarks>
public sealed class DistillationExtension : ITrainingExtension, IFixedAnchors, IDisposable
{
    /// <summary>Checkpoint group of the adapters' state dict.</summary>
    public const string AdaptersGroup = "adapters";
    /// <summary>Checkpoint group of the extension's counters.</summary>
    public const string StateGroup = "distill";
    const string IterationKey = "iteration";

    readonly Teacher teacher;
    readonly DistillOptions options;
    DistillationLoss? loss;
    Adapters? adapters;
    Device device = CPU;
    long iteration;
    long totalIterations;
    long iterationsPerEpoch;

    readonly bool disposeTeacher;

    /// <param name="teacher">The frozen teacher; the caller disposes it unless <paramref name="disposeTeacher"/>.</param>
    /// <param name="options">The losses and their settings.</param>
    /// <param name="disposeTeacher">The extension owns the teacher (one rebuilt on resume has no other owner).</param>
    public DistillationExtension(Teacher teacher, DistillOptions options, bool disposeTeacher = false)
    {
        options.Validate();
        this.teacher = teacher;
        this.options = options;
        this.disposeTeacher = disposeTeacher;
    }

    /// <summary>
    /// One column per registered loss, whatever the method (an unselected loss logs 0), so results.csv files of different
    /// distillation runs share one layout and can be compared column by column.
    /// </summary>
    public IReadOnlyList<string> Columns { get; } = DistillLosses.All.Select(k => k.Column).ToArray();
    public DistillOptions Options => options;
    public Teacher Teacher => teacher;
    /// <summary>The adapters (after <see cref="Setup"/>), or null when no feature loss is selected.</summary>
    public Adapters? Adapters => adapters;
    /// <summary>The losses as <see cref="Setup"/> built them for the student (after AutoAnchor), or null before.</summary>
    public DistillationLoss? Loss => loss;
    /// <summary>Batches seen so far over the whole run (drives the weight schedules; restored on resume).</summary>
    public long Iteration => iteration;
    /// <summary>Where the weight schedules are now.</summary>
    public DistillProgress Progress => new(iteration, totalIterations, iterationsPerEpoch);

    /// <summary>Whether distillation is off now (one of the last --distill-stop-epochs epochs): no teacher forward, no loss.</summary>
    public bool Stopped => loss?.Schedule.IsStopped(Progress) == true;

    /// <summary>
    /// Output losses (KD, box KD) compare teacher and student anchor by anchor, so with one selected the student keeps its
    /// anchors (AutoAnchor only measures their fit); feature losses (FGFI, CWD) let AutoAnchor evolve them, and FGFI's
    /// masks then use the student's new anchors.
    /// </summary>
    public string? FixedAnchorsReason => options.Losses.FirstOrDefault(k => k.ComparesAnchors) is { } kind
        ? $"distill --method {options.Method} compares teacher and student outputs anchor by anchor ({kind.Name}), so the student keeps the anchors it shares with the teacher"
        : null;

    public void Setup(TrainingContext context)
    {
        teacher.CheckCompatible(context.Model.Config, options);
        new DistillSchedule(options.Effective).CheckEpochs(context.Options.Epochs);
        device = context.Device;
        iterationsPerEpoch = context.BatchesPerEpoch;
        totalIterations = (long)context.Options.Epochs * context.BatchesPerEpoch;
        teacher.Model.to(device);
        teacher.UsePrecision(options.TeacherPrecision, device);
        if (options.NeedsAdapters)
        {
            adapters?.Dispose();
            // A private generator: the adapters start the same for a seed, whatever else drew from torch's global one.
            using var g = new Generator((ulong)(context.Options.Seed + 7919), device: CPU);
            adapters = DistillationLoss.CreateAdapters(teacher.Config, context.Model.Config, options, g);
            adapters.to(device);
        }
        loss = new DistillationLoss(options, teacher.Config, context.Model.Config, adapters, context.Hyp.AnchorT);
    }

    public IEnumerable<nn.Module> TrainableModules => adapters is null ? [] : [adapters];

    public ExtensionLoss ExtraLoss(DetectionBatch batch, Tensor images, YoloOutput student)
    {
        if (loss is null) throw new InvalidOperationException("DistillationExtension.Setup was not called before the first batch.");
        if (Stopped) return Off(images);
        using var scope = NewDisposeScope();
        using var t = teacher.Forward(images);
        var targets = batch.Targets.to(device);
        using var terms = loss.Compute(student, t, targets, Progress);
        iteration++;
        long bs = images.shape[0];
        var total = terms.Total * bs;
        // A column for every registered loss; an unselected one logs 0.
        var items = DistillLosses.All.ToDictionary(k => k.Column, k => scope.MoveToOuter(terms[k.Name] is { } term
            ? term.Value.detach() * term.Weight
            : zeros(Array.Empty<long>(), dtype: terms.Total.dtype, device: terms.Total.device)), StringComparer.Ordinal);
        var parts = terms.Terms.Select(term => (term.Name, scope.MoveToOuter(term.Weighted * bs))).ToArray();
        var stats = new List<(string, double)>();
        foreach (var term in terms.Terms)
        {
            stats.Add(($"{term.Name}_weight", term.Weight));
            if (term.PerLevel is null) continue;
            var levels = term.PerLevel.cpu().to(ScalarType.Float64).data<double>().ToArray();
            double sum = levels.Sum();
            for (int l = 0; l < levels.Length; l++) stats.Add(($"{term.Name}_p{l + 3}_share", sum > 0 ? levels[l] / sum : 0));
        }
        return new ExtensionLoss(scope.MoveToOuter(total), items) { Terms = parts, Stats = stats };
    }

    /// <summary>
    /// A step with distillation off: no teacher forward, a zero loss, each column 0. No terms or statistics, so the
    /// diagnostics rows of these epochs leave the distillation columns empty instead of probing gradients that are 0.
    /// </summary>
    ExtensionLoss Off(Tensor images)
    {
        iteration++;
        var items = DistillLosses.All.ToDictionary(k => k.Column, _ => zeros(Array.Empty<long>(), device: images.device), StringComparer.Ordinal);
        return new ExtensionLoss(zeros(Array.Empty<long>(), device: images.device), items);
    }

    public void OnEpochStart(int epoch)
    {
        // The trainer switches the student to training; adapters follow it, the teacher never does.
        adapters?.train();
        teacher.Model.eval();
    }

    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, Tensor>> StateToSave()
    {
        var groups = new Dictionary<string, IReadOnlyDictionary<string, Tensor>>(StringComparer.Ordinal)
        {
            [StateGroup] = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [IterationKey] = tensor(new[] { iteration }) },
        };
        if (adapters is not null) groups[AdaptersGroup] = adapters.state_dict();
        return groups;
    }

    public void LoadState(IReadOnlyDictionary<string, Dictionary<string, Tensor>> saved)
    {
        if (saved.TryGetValue(StateGroup, out var state) && state.TryGetValue(IterationKey, out var it))
            iteration = it.to(int64).item<long>();
        if (adapters is null) return;
        if (!saved.TryGetValue(AdaptersGroup, out var sd))
            throw new InvalidDataException($"The checkpoint holds no distillation adapters (group '{AdaptersGroup}'), but {options.Method} needs them; it was not written by a distill run with this method.");
        using var _ = no_grad();
        foreach (var (k, p) in adapters.state_dict())
        {
            if (!sd.TryGetValue(k, out var src))
                throw new InvalidDataException($"The checkpoint's adapters lack '{k}' (saved with another adapter kind or teacher/student pair?).");
            if (!src.shape.SequenceEqual(p.shape))
                throw new InvalidDataException($"The checkpoint's adapter '{k}' has shape [{string.Join(",", src.shape)}], expected [{string.Join(",", p.shape)}] (another adapter kind or teacher/student pair?).");
            p.copy_(src);
        }
    }

    public IReadOnlyDictionary<string, string> Metadata
    {
        get
        {
            var meta = new Dictionary<string, string>(options.ToMetadata(), StringComparer.Ordinal)
            {
                ["distill.teacher"] = teacher.Source,
                ["distill.teacher_model"] = teacher.Config.ModelName,
            };
            return meta;
        }
    }

    /// <summary>The options and teacher path a checkpoint's metadata records (for resume), or null when it was not a distill run.</summary>
    public static (DistillOptions Options, string Teacher)? FromMetadata(IReadOnlyDictionary<string, string> meta)
    {
        if (!meta.TryGetValue("distill.teacher", out var teacherPath)) return null;
        var o = DistillOptions.FromMetadata(meta);
        return o is null ? null : (o, teacherPath);
    }

    public void Dispose()
    {
        adapters?.Dispose();
        if (disposeTeacher) teacher.Dispose();
    }
}
