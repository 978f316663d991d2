using System.Diagnostics;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Model;

namespace YoloDistill.Detector.Training;

/// <summary>
/// Ultralytics v7.0 train.py's loop: warmup, gradient accumulation to 64 images, clipping at norm 10, EMA, linear or
/// cosine lr, validation of the EMA model, fitness, best/last checkpoints (atomic), results.csv/png, early stopping.
/// Resuming from a run folder continues exactly (data and augmentation derive from (seed, epoch, index)).
/// Reports through <see cref="StepProgress"/> and <see cref="EpochProgress"/>; never writes to the console.
/// </summary>
/// <remarks>
/// The trainer runs the parts in order: <see cref="TrainingSetup"/> builds the run (or <see cref="CheckpointRestore"/>
/// puts a resumed one back), <see cref="TrainingStep"/> trains each batch, <see cref="EpochEnd"/> validates and
/// decides, <see cref="CheckpointWriter"/> and <see cref="RunArtefacts"/> write what the epoch leaves.
/// </remarks>
public sealed class Trainer : IDisposable
{
    readonly TrainingSetup _setup;
    readonly IReadOnlyList<ITrainingExtension> _extensions;
    readonly RunState _state;
    readonly RunArtefacts _artefacts;
    readonly List<string> _notes;
    /// <summary>Extensions the trainer built itself (on resume, through the factories), and so disposes.</summary>
    IReadOnlyList<ITrainingExtension> _owned = [];

    public YoloModel Model => _setup.Model;
    public ModelConfig Config => _setup.Config;
    public TrainOptions Options => _setup.Options;
    public Hyp Hyp => _setup.Hyp;
    /// <summary>What setup did (weights transferred, layers frozen, optimizer groups, resume point) for the caller to show.</summary>
    public IReadOnlyList<string> Notes => _notes;
    public int StartEpoch => _state.StartEpoch;
    /// <summary>AutoAnchor's fit and decision before a new run (also in <see cref="Notes"/>); null on resume or with NoAutoAnchor.</summary>
    public AutoAnchorReport? AnchorReport => _setup.AnchorReport;
    /// <summary>The extensions that train with the model, in the order given (or rebuilt on resume).</summary>
    public IReadOnlyList<ITrainingExtension> Extensions => _extensions;
    public int BatchesPerEpoch => _setup.Loader.BatchCount;
    public int WarmupIterations => _setup.WarmupIterations;
    public IProgress<TrainStepProgress>? StepProgress { get; set; }
    public IProgress<TrainEpochProgress>? EpochProgress { get; set; }

    /// <param name="options">What to train and how (train.py's arguments).</param>
    /// <param name="hyp">The hyperparameters (hyp.scratch-low by default).</param>
    /// <param name="extensions">Training variants that add losses, modules and checkpoint state (e.g. distillation); none by default.</param>
    /// <param name="validator">Validates the EMA model after an epoch; by default the options' val split with this run's settings.</param>
    public Trainer(TrainOptions options, Hyp hyp, IReadOnlyList<ITrainingExtension>? extensions = null, IEpochValidator? validator = null)
        : this(options, hyp, extensions ?? [], validator, resumeFrom: null) { }

    /// <summary>
    /// Continues the run in <paramref name="runDir"/> from weights/last.ckpt with its saved options and hyps; its
    /// extensions (e.g. distillation) are rebuilt from what the checkpoint records by the factories in
    /// <paramref name="factories"/> (default <see cref="TrainingExtensionRegistry.Shared"/>).
    /// </summary>
    public static Trainer Resume(string runDir, IEpochValidator? validator = null, Func<TrainOptions, TrainOptions>? adjust = null,
                                 TrainingExtensionRegistry? factories = null)
    {
        using var point = ResumePoint.Read(runDir);
        return Resume(point, validator, adjust, factories);
    }

    /// <summary>
    /// Continues the run whose checkpoint <paramref name="point"/> has read, taking everything from that one read
    /// (the caller may look at it first, e.g. to refuse a run of the wrong kind, without reading the file again).
    /// </summary>
    public static Trainer Resume(ResumePoint point, IEpochValidator? validator = null, Func<TrainOptions, TrainOptions>? adjust = null,
                                 TrainingExtensionRegistry? factories = null)
    {
        var o = point.Options;
        if (adjust is not null) o = adjust(o) with { SaveDir = point.RunDir };
        var rebuilt = (factories ?? TrainingExtensionRegistry.Shared).Rebuild(new ResumeContext(point.Checkpoint.Metadata, point.Path, o));
        try
        {
            return new Trainer(o, point.Checkpoint.Hyp, rebuilt, validator, point) { _owned = rebuilt };
        }
        catch
        {
            foreach (var e in rebuilt) (e as IDisposable)?.Dispose();
            throw;
        }
    }

    Trainer(TrainOptions options, Hyp hyp, IReadOnlyList<ITrainingExtension> extensions, IEpochValidator? validator, ResumePoint? resumeFrom)
    {
        options.Validate();
        _extensions = extensions.ToArray();
        // Refused before anything is built: two extensions filling one column would mix their numbers.
        _ = new ColumnMeans(TrainingStep.ColumnsOf(_extensions));
        _setup = new TrainingSetup(options, hyp, _extensions, validator, resumeFrom);
        _state = new RunState(options.Patience);
        _artefacts = new RunArtefacts(_setup.Options);
        _notes = [.. _setup.Notes];
        if (resumeFrom is not null)
        {
            _notes.Add(CheckpointRestore.Apply(resumeFrom, _setup, _extensions, _state));
            if (_setup.Group.IsMain) _artefacts.CutBackTo(_state.StartEpoch);
        }
        else if (_setup.Group.IsMain) _artefacts.WriteStart(_setup.Hyp, _setup.TrainSet);
        if (_setup.Group.WorldSize > 1)
            _notes.Add($"{_setup.Group.WorldSize} processes (rank {_setup.Group.Rank}): {Options.BatchSize / _setup.Group.WorldSize} images each per batch, " +
                       "gradients averaged before every step; BatchNorm statistics stay per process, rank 0 validates and saves");
    }

    public TrainSummary Run(CancellationToken ct = default)
    {
        var total = Stopwatch.StartNew();
        var step = new TrainingStep(_setup, _extensions, _state);
        var epochEnd = new EpochEnd(_setup, _state);
        var checkpoints = new CheckpointWriter(_setup, _extensions, _state);
        int nb = BatchesPerEpoch, epochs = Options.Epochs;
        EpochResult? lastRow = null;
        var rows = new List<EpochResult>();
        bool stop = false;
        int epoch = _state.StartEpoch;
        for (; epoch < epochs && !stop; epoch++)
        {
            var epochWatch = Stopwatch.StartNew();
            step.BeginEpoch(epoch);
            var means = new ColumnMeans(step.Columns);
            int i = 0;
            var stepWatch = Stopwatch.StartNew();
            double stepSeconds = 0;
            // Several processes stop together: the loader is not cancelled on its own, every rank asks after each batch
            // whether any was asked to stop, and all leave at the same batch.
            var group = _setup.Group;
            foreach (var batch in _setup.Loader.Epoch(epoch, epochs, group.WorldSize > 1 ? CancellationToken.None : ct))
            {
                using var b = batch;
                var r = step.Run(b, epoch, i, ni: i + (long)nb * epoch);
                means.Add(r.Items);
                i++;
                double dt = stepWatch.Elapsed.TotalSeconds;
                stepWatch.Restart();
                stepSeconds = i == 1 ? dt : 0.9 * stepSeconds + 0.1 * dt;
                StepProgress?.Report(new TrainStepProgress(epoch, epochs, i, nb, means["train/box_loss"], means["train/obj_loss"], means["train/cls_loss"],
                    EpochEnd.ExtensionMeans(means), r.Instances, r.ImgSize, b.Count / Math.Max(dt, 1e-9),
                    TimeSpan.FromSeconds(stepSeconds * (nb - i)), Environment.WorkingSet));
                if (group.WorldSize > 1 && group.AllReduceMax(ct.IsCancellationRequested ? 1 : 0) > 0)
                {
                    group.MarkAgreedStop();
                    throw new OperationCanceledException("another process of the run was asked to stop", ct);
                }
            }
            ct.ThrowIfCancellationRequested();

            if (group.IsMain)
            {
                // With several processes a stop waits for the agreement below, after the epoch is saved.
                var outcome = epochEnd.Evaluate(epoch, group.WorldSize > 1 ? CancellationToken.None : ct);
                stop = outcome.Stop;
                lastRow = EpochEnd.Row(epoch, means, outcome);
                rows.Add(lastRow);
                _artefacts.AppendEpoch(lastRow);
                checkpoints.Write(epoch, outcome);
                EpochProgress?.Report(new TrainEpochProgress(lastRow, outcome.Fitness, outcome.IsBest, outcome.Validated, epochWatch.Elapsed));
            }
            // Rank 0's early stop is every rank's, and so is a stop signal to any; the others wait here while rank 0
            // validates and saves.
            if (group.WorldSize > 1)
            {
                long agreed = group.AllReduceMax((stop ? 1 : 0) | (ct.IsCancellationRequested ? 2 : 0));
                stop = (agreed & 1) != 0;
                if ((agreed & 2) != 0)
                {
                    group.MarkAgreedStop();
                    throw new OperationCanceledException("another process of the run was asked to stop", ct);
                }
            }
        }
        return new TrainSummary(epoch - _state.StartEpoch, _state.Stopper.BestEpoch, _state.BestFitness, lastRow, Options.LastPath, Options.BestPath,
                                Options.SaveDir, total.Elapsed, stop) { Epochs = rows };
    }

    /// <summary>
    /// train.py --multi-scale: the image size of batch <paramref name="ni"/>, random in [0.5, 1.5] x img rounded down to
    /// a stride multiple, drawn from (seed, ni) alone so that runs repeat and resume exactly in any process.
    /// </summary>
    public static int MultiScaleSize(int seed, long ni, int imgSize, int stride = 32) => MultiScale.Size(seed, ni, imgSize, stride);

    public void Dispose()
    {
        _setup.Dispose();
        foreach (var e in _owned) (e as IDisposable)?.Dispose();
    }
}
