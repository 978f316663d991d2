using YoloDistill.Detector.Common;
using YoloDistill.Detector.Training;

namespace YoloDistill.Distill.Distillation;

/// <summary>One distillation run: the teacher, the student's training and the distillation losses.</summary>
public sealed record DistillRunOptions
{
    /// <summary>The teacher's weights (.pt, .safetensors or a yolo-distill checkpoint); it runs frozen, in eval mode.</summary>
    public required string Teacher { get; init; }

    /// <summary>
    /// The student's training, as for <see cref="Trainer"/>: data, splits, epochs, batch, image size, device and run
    /// folder; the student's model is <see cref="TrainOptions.Cfg"/> and its start <see cref="TrainOptions.Weights"/>
    /// (null: from scratch). <see cref="TrainOptions.Clip"/> says which parameters the gradient clip covers.
    /// </summary>
    public required TrainOptions Student { get; init; }

    /// <summary>The losses and their settings. Default: FGFI in the paper's form, as `yolo-distill distill` with no flags.</summary>
    public DistillOptions Distill { get; init; } = new();

    /// <summary>Hyperparameters. Default: hyp.scratch-low, as train.py.</summary>
    public Hyp Hyp { get; init; } = new();
}

/// <summary>
/// Runs a distillation from code: build it from <see cref="DistillRunOptions"/> (or resume a run folder), follow it
/// through <see cref="StepProgress"/> and <see cref="EpochProgress"/>, start it with <see cref="Run"/> and a
/// CancellationToken, and read the <see cref="TrainSummary"/> (best and last checkpoints, the per-epoch rows). The run
/// folder gets what `yolo-distill distill` writes (weights/last.ckpt and best.ckpt, results.csv, hyp.yaml, opt.yaml), and
/// a cancelled run is resumable from its last completed epoch. Nothing is written to the console.
/// </summary>
/// <example>
/// <code>
/// using var run = Distiller.Create(new DistillRunOptions
/// {
///     Teacher = "teacher.ckpt",
///     Student = new TrainOptions { Data = "datasets/shapes", TrainSplit = "train", ValSplit = "val", Cfg = "yolov5n", Epochs = 5, ImgSize = 320, SaveDir = "runs/distill" },
///     Distill = DistillOptions.For("fgfi+kd"),
/// });
/// run.EpochProgress = new Progress&lt;TrainEpochProgress&gt;(e =&gt; Console.WriteLine($"{e.Result.Epoch}: {e.Result.Map5095:0.000}"));
/// var summary = run.Run(cancellationToken);
/// </code>
/// </example>
public sealed class Distiller : IDisposable
{
    readonly Trainer _trainer;
    // A resumed trainer owns the extensions it rebuilt; a new run's extension is this object's.
    readonly bool _ownsExtension;

    static Distiller() => RegisterResume();

    Distiller(Trainer trainer, DistillationExtension extension, bool ownsExtension)
    {
        _trainer = trainer;
        Extension = extension;
        _ownsExtension = ownsExtension;
    }

    /// <summary>
    /// Makes <see cref="Trainer.Resume(string, IEpochValidator?, Func{TrainOptions, TrainOptions}?, TrainingExtensionRegistry?)"/>
    /// rebuild a distill run's teacher and losses (idempotent; <see cref="Resume"/> does it itself).
    /// </summary>
    public static void RegisterResume() => TrainingExtensionRegistry.Shared.Register(new DistillationExtensionFactory());

    /// <summary>A new run. Bad options throw ArgumentException (or FileNotFoundException for a missing teacher) before anything is written.</summary>
    public static Distiller Create(DistillRunOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Distill.Validate();
        new DistillSchedule(options.Distill.Effective).CheckEpochs(options.Student.Epochs);
        if (string.IsNullOrWhiteSpace(options.Teacher)) throw new ArgumentException("a teacher is required (the weights of the teacher detector)");
        if (!File.Exists(options.Teacher)) throw new FileNotFoundException($"{options.Teacher}: teacher weights not found.", options.Teacher);
        // The full path goes into the checkpoint, so that a resume finds the teacher from any working directory.
        var teacher = Teacher.Load(Path.GetFullPath(options.Teacher), DeviceSelector.Parse(options.Student.Device));
        DistillationExtension? ext = null;
        try
        {
            ext = new DistillationExtension(teacher, options.Distill, disposeTeacher: true);
            return new Distiller(new Trainer(options.Student, options.Hyp, [ext]), ext, ownsExtension: true);
        }
        catch
        {
            if (ext is not null) ext.Dispose();
            else teacher.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Continues the distill run in <paramref name="runDir"/> from weights/last.ckpt with the teacher, losses, settings,
    /// adapters and schedule position it recorded; <paramref name="adjust"/> may change what may differ between
    /// sessions (device, workers). A plain train run is refused.
    /// </summary>
    public static Distiller Resume(string runDir, Func<TrainOptions, TrainOptions>? adjust = null)
    {
        if (!Directory.Exists(runDir)) throw new DirectoryNotFoundException($"{runDir}: run folder not found.");
        RegisterResume();
        using var point = ResumePoint.Read(runDir);
        RequireDistillRun(point);
        var trainer = Trainer.Resume(point, adjust: adjust);
        return new Distiller(trainer, trainer.Extensions.OfType<DistillationExtension>().Single(), ownsExtension: false);
    }

    /// <summary>Refuses a checkpoint that holds no distillation (a run of `train`).</summary>
    public static void RequireDistillRun(ResumePoint point)
    {
        if (DistillationExtension.FromMetadata(point.Checkpoint.Metadata) is null)
            throw new ArgumentException($"{point.Path}: not a distill run (no distillation settings in the checkpoint); resume it with `train --resume`.");
    }

    /// <summary>The trainer that runs the student (options, model, notes, anchors).</summary>
    public Trainer Trainer => _trainer;

    /// <summary>The teacher, losses, adapters and schedule.</summary>
    public DistillationExtension Extension { get; }

    /// <summary>Every training step: running mean losses (the distillation terms by column name), speed, time left.</summary>
    public IProgress<TrainStepProgress>? StepProgress
    {
        get => _trainer.StepProgress;
        set => _trainer.StepProgress = value;
    }

    /// <summary>Every finished epoch: its results row (losses and val metrics), fitness, whether it is the best.</summary>
    public IProgress<TrainEpochProgress>? EpochProgress
    {
        get => _trainer.EpochProgress;
        set => _trainer.EpochProgress = value;
    }

    /// <summary>
    /// Trains to the last epoch (or early stop). Cancelling throws OperationCanceledException after the current batch; the
    /// last completed epoch's checkpoint stays for <see cref="Resume"/>. A diverged loss throws TrainingDivergedException.
    /// </summary>
    public TrainSummary Run(CancellationToken ct = default) => _trainer.Run(ct);

    public void Dispose()
    {
        _trainer.Dispose();
        if (_ownsExtension) Extension.Dispose();
    }
}
