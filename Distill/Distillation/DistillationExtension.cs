using System.Globalization;
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
public sealed class DistillationExtension : ITrainingExtension, IDisposable
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

    public DistillationExtension(Teacher teacher, DistillOptions options)
    {
        options.Validate();
        this.teacher = teacher;
        this.options = options;
    }

    /// <summary>
    /// Always the three columns, whatever the method (an unselected loss logs 0), so results.csv files of different
    /// distillation runs share one layout and can be compared column by column.
    /// </summary>
    public IReadOnlyList<string> Columns { get; } = ["train/imit_loss", "train/cwd_loss", "train/kd_loss"];
    public DistillOptions Options => options;
    public Teacher Teacher => teacher;
    /// <summary>The adapters (after <see cref="Setup"/>), or null when no feature loss is selected.</summary>
    public Adapters? Adapters => adapters;
    /// <summary>Batches seen so far over the whole run (drives the imitation warm-up; restored on resume).</summary>
    public long Iteration => iteration;

    public void Setup(TrainingContext context)
    {
        teacher.CheckCompatible(context.Model.Config, options.Method);
        device = context.Device;
        teacher.Model.to(device);
        teacher.UsePrecision(options.TeacherPrecision, device);
        if (options.NeedsAdapters)
        {
            adapters?.Dispose();
            adapters = DistillationLoss.CreateAdapters(teacher.Config, context.Model.Config, options.Adapter);
            adapters.to(device);
        }
        loss = new DistillationLoss(options, teacher.Config, context.Model.Config, adapters);
    }

    public IEnumerable<nn.Module> TrainableModules => adapters is null ? [] : [adapters];

    public (Tensor Loss, Tensor Items) ExtraLoss(DetectionBatch batch, Tensor images, YoloOutput student)
    {
        if (loss is null) throw new InvalidOperationException("DistillationExtension.Setup was not called before the first batch.");
        using var scope = NewDisposeScope();
        using var t = teacher.Forward(images);
        var targets = batch.Targets.to(device);
        var weightImit = FgfiLoss.WeightAt(options.ImitationWeight, iteration, options.ImitationWarmup);
        using var terms = loss.Compute(student, t, targets, iteration);
        iteration++;
        long bs = images.shape[0];
        var total = terms.Total * bs;
        var none = zeros(new long[0], dtype: terms.Total.dtype, device: terms.Total.device);
        var itemTensor = stack([
            terms.Imitation is null ? none : terms.Imitation * weightImit,
            terms.Cwd is null ? none : terms.Cwd * options.CwdWeight,
            terms.Kd is null ? none : terms.Kd * options.KdWeight,
        ]).detach();
        return (scope.MoveToOuter(total), scope.MoveToOuter(itemTensor));
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
            throw new InvalidDataException($"The checkpoint holds no distillation adapters (group '{AdaptersGroup}'), but {DistillMethodParser.Format(options.Method)} needs them; it was not written by a distill run with this method.");
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

    public IReadOnlyDictionary<string, string> Metadata => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["distill.method"] = DistillMethodParser.Format(options.Method),
        ["distill.teacher"] = teacher.Source,
        ["distill.teacher_model"] = teacher.Config.ModelName,
        ["distill.imitation_weight"] = F(options.ImitationWeight),
        ["distill.psi"] = F(options.Psi),
        ["distill.adapter"] = AdapterKindParser.Format(options.Adapter),
        ["distill.imitation_warmup"] = options.ImitationWarmup.ToString(CultureInfo.InvariantCulture),
        ["distill.cwd_weight"] = F(options.CwdWeight),
        ["distill.cwd_tau"] = F(options.CwdTau),
        ["distill.kd_weight"] = F(options.KdWeight),
        ["distill.kd_temperature"] = F(options.KdTemperature),
        ["distill.teacher_precision"] = TeacherPrecisionParser.Format(options.TeacherPrecision),
    };

    /// <summary>The options a checkpoint's metadata records (for resume), or null when it was not a distill run.</summary>
    public static (DistillOptions Options, string Teacher)? FromMetadata(IReadOnlyDictionary<string, string> meta)
    {
        if (!meta.TryGetValue("distill.method", out var method) || !meta.TryGetValue("distill.teacher", out var teacherPath)) return null;
        double D(string k, double d) => meta.TryGetValue(k, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : d;
        var o = new DistillOptions
        {
            Method = DistillMethodParser.Parse(method),
            ImitationWeight = D("distill.imitation_weight", FgfiLoss.DefaultWeight),
            Psi = D("distill.psi", ImitationMask.DefaultPsi),
            Adapter = meta.TryGetValue("distill.adapter", out var a) ? AdapterKindParser.Parse(a) : AdapterKind.Conv1x1,
            ImitationWarmup = meta.TryGetValue("distill.imitation_warmup", out var w) ? long.Parse(w, CultureInfo.InvariantCulture) : 0,
            CwdWeight = D("distill.cwd_weight", CwdLoss.DefaultWeight),
            CwdTau = D("distill.cwd_tau", CwdLoss.DefaultTau),
            KdWeight = D("distill.kd_weight", KdLoss.DefaultWeight),
            KdTemperature = D("distill.kd_temperature", KdLoss.DefaultTemperature),
            TeacherPrecision = meta.TryGetValue("distill.teacher_precision", out var tp) ? TeacherPrecisionParser.Parse(tp) : TeacherPrecision.Float32,
        };
        return (o, teacherPath);
    }

    static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    public void Dispose() => adapters?.Dispose();
}
