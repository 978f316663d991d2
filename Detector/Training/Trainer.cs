using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Loss;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Weights;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Training;

/// <summary>
/// Ultralytics v7.0 train.py's loop: warmup, gradient accumulation to 64 images, clipping at norm 10, EMA, linear or
/// cosine lr, validation of the EMA model, fitness, best/last checkpoints (atomic), results.csv/png, early stopping.
/// Resuming from a run folder continues exactly (data and augmentation derive from (seed, epoch, index)).
/// Reports through <see cref="StepProgress"/> and <see cref="EpochProgress"/>; never writes to the console.
/// </summary>
public sealed class Trainer : IDisposable
{
    readonly TrainOptions _o;
    readonly Hyp _hyp;
    readonly IReadOnlyList<ITrainingExtension> _exts;
    readonly Device _device;
    readonly CocoDataset _train;
    readonly DetectionLoader _loader;
    readonly IEpochValidator? _validator;
    readonly ComputeLoss _computeLoss;
    readonly ModelEma _ema;
    readonly OptimizerHelper _optimizer;
    readonly LrSchedule _schedule;
    readonly Parameter[] _clipParams;
    readonly GradientDiagnostics? _diagnostics;
    /// <summary>train.py: clip_grad_norm_(model.parameters(), max_norm=10.0).</summary>
    const double MaxGradNorm = 10.0;
    readonly EarlyStopping _stopper;
    readonly List<string> _notes = [];
    /// <summary>Extensions the trainer built itself (on resume, through the factories), and so disposes.</summary>
    IReadOnlyList<ITrainingExtension> _owned = [];
    int _startEpoch;
    long _lastOptStep = -1;
    double _bestFitness;

    public YoloModel Model { get; }
    public ModelConfig Config { get; }
    public TrainOptions Options => _o;
    public Hyp Hyp => _hyp;
    /// <summary>What setup did (weights transferred, layers frozen, optimizer groups, resume point) for the caller to show.</summary>
    public IReadOnlyList<string> Notes => _notes;
    public int StartEpoch => _startEpoch;
    /// <summary>The extensions that train with the model, in the order given (or rebuilt on resume).</summary>
    public IReadOnlyList<ITrainingExtension> Extensions => _exts;
    public int BatchesPerEpoch => _loader.BatchCount;
    public int WarmupIterations { get; }
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
        _o = options;
        _exts = extensions.ToArray();
        // Refused before anything is built: two extensions filling one column would mix their numbers.
        _ = new ColumnMeans(ResultsCsv.TrainLossColumns.Concat(_exts.SelectMany(e => e.Columns)));
        _device = DeviceSelector.Parse(options.Device);
        _hyp = options.LabelSmoothing != 0 ? hyp with { LabelSmoothing = options.LabelSmoothing } : hyp;
        Directory.CreateDirectory(_o.WeightsDir);

        _train = CocoDataset.Load(_o.Data, _o.TrainSplit);
        var names = _train.Names.ToArray();

        // Model: from a checkpoint or weights file (keeping everything whose shape fits, i.e. all but Detect's
        // output convs when nc differs), or from scratch.
        Config = BuildConfig(names, resumeFrom);
        // train.py: init_seeds(opt.seed + 1 + RANK) before the model is built, so a seed fixes the initial weights.
        torch.manual_seed(_o.Seed + 1);
        Model = new YoloModel(Config);
        if (resumeFrom is null && !string.IsNullOrEmpty(_o.Weights))
        {
            using var w = WeightsFile.Load(_o.Weights);
            var report = StateDictImporter.LoadInto(Model, w);
            _notes.Add($"{_o.Weights}: {report.Summary}");
        }
        Model.to(_device);

        var prefixes = _o.FreezePrefixes();
        int frozen = 0;
        foreach (var (k, p) in Model.named_parameters())
        {
            bool freeze = prefixes.Any(x => k.StartsWith(x, StringComparison.Ordinal));
            p.requires_grad = !freeze;
            if (freeze) frozen++;
        }
        if (frozen > 0) _notes.Add($"freezing {frozen} parameter tensors of {string.Join(", ", prefixes.Select(x => x.TrimEnd('.')))}");

        _loader = new DetectionLoader(_train, new LoaderOptions
        {
            ImgSize = _o.ImgSize, BatchSize = _o.BatchSize, Augment = true, Rect = _o.Rect, Pad = 0.0, Stride = 32,
            Workers = Math.Max(1, _o.EffectiveWorkers(Environment.ProcessorCount)), Seed = _o.Seed, Cache = _o.Cache is not null,
            Shuffle = !_o.Rect, Hyp = _hyp, CloseMosaic = _o.CloseMosaic,
        });
        WarmupIterations = Warmup.Iterations(_hyp.WarmupEpochs, _loader.BatchCount);
        foreach (var ext in _exts) ext.Setup(new TrainingContext(Model, _device, _o, _hyp, _loader.BatchCount));

        var groups = OptimizerFactory.Classify(Model);
        foreach (var (m, i) in _exts.SelectMany(e => e.TrainableModules).Select((m, i) => (m, i)))
            groups = OptimizerFactory.Merge(groups, OptimizerFactory.Classify(m, $"extension{i}"));
        double decay = _o.ScaledWeightDecay(_hyp);
        _optimizer = OptimizerFactory.Create(_o.Optimizer, groups, _hyp.Lr0, _hyp.Momentum, decay);
        _notes.Add($"optimizer: {_o.Optimizer}(lr={_hyp.Lr0.ToString(CultureInfo.InvariantCulture)}) with parameter groups " +
                   $"{groups.NormWeights.Count} weight(decay=0.0), {groups.Weights.Count} weight(decay={decay.ToString(CultureInfo.InvariantCulture)}), {groups.Biases.Count} bias");
        if (_o.DiagnoseEvery > 0)
            _diagnostics = new GradientDiagnostics(_o.DiagnosticsCsvPath, _o.DiagnoseEvery, Model.parameters().Where(p => p.requires_grad).ToArray());
        _clipParams = Model.parameters().Concat(_exts.SelectMany(e => e.TrainableModules).SelectMany(m => m.parameters())).ToArray();
        _schedule = new LrSchedule(_o.Epochs, _hyp.Lrf, _o.CosLr);

        // EMA before the fp16 rounding below, as in train.py.
        var emaCopy = new YoloModel(Config);
        emaCopy.to(_device);
        _ema = new ModelEma(Model, emaCopy);
        _stopper = new EarlyStopping(_o.Patience);

        if (resumeFrom is not null) RestoreFrom(resumeFrom);
        else
        {
            // train.py: model.half().float() "pre-reduce anchor precision" (rounds every float to fp16 once).
            using var ng = no_grad();
            foreach (var (_, v) in Model.state_dict())
                if (v.is_floating_point()) v.copy_(v.to(ScalarType.Float16).to(ScalarType.Float32));
        }

        _computeLoss = new ComputeLoss(_hyp.ScaledForModel(Config.NumLevels, Config.Nc, _o.ImgSize), Config);

        if (validator is not null) _validator = validator;
        else
        {
            var val = CocoDataset.Load(_o.Data, _o.ValSplit);
            _validator = new EpochValidator(val, _o.ImgSize, _o.BatchSize * 2, Math.Max(1, _o.EffectiveWorkers(Environment.ProcessorCount) * 2));
        }

        if (resumeFrom is null)
        {
            HypYaml.Save(Path.Combine(_o.SaveDir, "hyp.yaml"), _hyp);
            OptionsYaml.Save(Path.Combine(_o.SaveDir, "opt.yaml"), _o);
            if (!_o.NoPlots)
                LabelsPlot.Save(Path.Combine(_o.SaveDir, "labels.png"), _train.Images.SelectMany(im => im.Labels.Select(l => l.Class)).ToArray(), names);
        }
    }

    ModelConfig BuildConfig(string[] names, ResumePoint? resumeFrom)
    {
        if (resumeFrom is not null)
        {
            var c = resumeFrom.Checkpoint;
            if (c.Config.Nc != names.Length)
                throw new InvalidDataException($"{resumeFrom.Path}: checkpoint has {c.Config.Nc} classes, the dataset {_o.Data} has {names.Length}.");
            return c.Config with { Names = names };
        }
        if (!string.IsNullOrEmpty(_o.Weights))
        {
            if (!File.Exists(_o.Weights)) throw new FileNotFoundException($"{_o.Weights}: weights file not found.", _o.Weights);
            if (Checkpoint.IsCheckpoint(_o.Weights))
            {
                using var c = Checkpoint.Load(_o.Weights);
                return new ModelConfig { Scale = c.Config.Scale, Nc = names.Length, Names = names, AnchorsPx = c.Config.AnchorsPx, Strides = c.Config.Strides };
            }
            using var w = WeightsFile.Load(_o.Weights);
            return new ModelConfig { Scale = w.Config.Scale, Nc = names.Length, Names = names, AnchorsPx = w.Config.AnchorsPx, Strides = w.Config.Strides };
        }
        return ModelConfig.FromName(_o.Cfg, names.Length, names);
    }

    void RestoreFrom(ResumePoint point)
    {
        var c = point.Checkpoint;
        var path = point.Path;
        Model.LoadStateDictStrict(c.Model!, path + " (model)");
        ((YoloModel)_ema.Ema).LoadStateDictStrict(c.Ema, path + " (ema)");
        _ema.Updates = c.EmaUpdates;
        // Before the optimizer, whose parameter count would differ too, but with a message that says why.
        var claimed = _exts.SelectMany(e => e.StateToSave().Keys);
        var unclaimed = c.Extras.Keys.Except(claimed, StringComparer.Ordinal).ToArray();
        if (unclaimed.Length > 0)
            throw new InvalidDataException(
                $"{path}: the checkpoint holds the state of training extensions ({string.Join(", ", unclaimed)}) that this resume did not rebuild; " +
                "register the factory that rebuilds them (TrainingExtensionRegistry) or the run would continue without them.");
        c.Optimizer!.Restore(_optimizer);
        foreach (var ext in _exts) ext.LoadState(c.Extras);
        _startEpoch = c.Epoch + 1;
        _bestFitness = c.BestFitness;
        _stopper.BestFitness = c.BestFitness;
        _stopper.BestEpoch = c.BestEpoch;
        _lastOptStep = c.LastOptStep;
        ResultsCsv.TruncateTo(_o.ResultsCsvPath, _startEpoch);
        _notes.Add($"resuming from {path}: epoch {_startEpoch} of {_o.Epochs}, best fitness {c.BestFitness:F5}");
    }

    public TrainSummary Run(CancellationToken ct = default)
    {
        var total = Stopwatch.StartNew();
        int nb = _loader.BatchCount, nw = WarmupIterations, epochs = _o.Epochs;
        int accumulate = _o.Accumulate;
        EpochResult? lastRow = null;
        bool stop = false;
        int epoch = _startEpoch;
        for (; epoch < epochs && !stop; epoch++)
        {
            var epochWatch = Stopwatch.StartNew();
            Model.train();
            foreach (var ext in _exts) ext.OnEpochStart(epoch);
            Warmup.ApplyEpoch(_optimizer, epoch, _schedule);
            _optimizer.zero_grad();
            var means = new ColumnMeans(ResultsCsv.TrainLossColumns.Concat(_exts.SelectMany(e => e.Columns)));
            int i = 0;
            var stepWatch = Stopwatch.StartNew();
            double stepSeconds = 0;
            foreach (var batch in _loader.Epoch(epoch, epochs, ct))
            {
                using var b = batch;
                using var scope = NewDisposeScope();
                long ni = i + (long)nb * epoch;
                if (ni <= nw) accumulate = Warmup.Apply(_optimizer, ni, nw, epoch, _schedule, _hyp, _o.BatchSize);

                var imgs = b.Images.to(_device);
                if (_o.MultiScale) imgs = MultiScale(imgs, ni);
                var output = Model.forward(imgs);
                var (loss, items) = _computeLoss.Compute(output.Raw, b.Targets.to(_device));
                var totalLoss = loss;
                var extras = new ExtensionLoss[_exts.Count];
                var named = new Dictionary<string, float>(StringComparer.Ordinal);
                for (int e = 0; e < _exts.Count; e++)
                {
                    extras[e] = _exts[e].ExtraLoss(b, imgs, output);
                    totalLoss = totalLoss + extras[e].Loss;
                    foreach (var (column, value) in ItemsByColumn(_exts[e], extras[e])) named[column] = value;
                }
                var it = items.detach().cpu().data<float>().ToArray();
                for (int k = 0; k < ResultsCsv.TrainLossColumns.Length; k++) named[ResultsCsv.TrainLossColumns[k]] = it[k];
                float lossValue = totalLoss.detach().cpu().sum().item<float>();
                if (!float.IsFinite(lossValue))
                    throw new TrainingDivergedException(
                        $"loss became {lossValue} at epoch {epoch}, batch {i} (box {it[0]}, obj {it[1]}, cls {it[2]}); training stopped. " +
                        $"{(File.Exists(_o.LastPath) ? $"The last good checkpoint is {_o.LastPath}." : "No checkpoint was written yet.")}");
                if (_diagnostics?.Due(ni) == true) _diagnostics.Probe(epoch, ni, loss, extras);
                totalLoss.backward();

                if (ni - _lastOptStep >= accumulate)
                {
                    var withGrad = _clipParams.Where(p => p.requires_grad && p.grad is not null).ToArray();
                    if (withGrad.Length > 0)
                    {
                        double norm = nn.utils.clip_grad_norm_(withGrad, MaxGradNorm);
                        _diagnostics?.RecordClip(norm, MaxGradNorm);
                    }
                    _optimizer.step();
                    _optimizer.zero_grad();
                    _ema.Update(Model);
                    _lastOptStep = ni;
                }

                means.Add(named);
                i++;
                double dt = stepWatch.Elapsed.TotalSeconds;
                stepWatch.Restart();
                stepSeconds = i == 1 ? dt : 0.9 * stepSeconds + 0.1 * dt;
                StepProgress?.Report(new TrainStepProgress(epoch, epochs, i, nb, means["train/box_loss"], means["train/obj_loss"], means["train/cls_loss"], ExtraMeans(means),
                    (int)b.Targets.shape[0], (int)imgs.shape[^1], b.Count / Math.Max(dt, 1e-9),
                    TimeSpan.FromSeconds(stepSeconds * (nb - i)), Environment.WorkingSet));
            }
            ct.ThrowIfCancellationRequested();

            var lrs = _optimizer.ParamGroups.Select(g => g.LearningRate).ToArray();
            bool finalEpoch = epoch + 1 == epochs || _stopper.PossibleStop;
            bool validate = (!_o.NoVal && (epoch + 1) % _o.ValEvery == 0) || finalEpoch;
            // An epoch that is not validated has no metrics: its row says NaN (never the last epoch's numbers), it
            // cannot become best.ckpt, and early stopping counts only validated epochs.
            ValidationResult? val = validate && _validator is not null ? _validator.Validate((YoloModel)_ema.Ema, _computeLoss, ct) : null;
            double fi = val?.Fitness ?? double.NaN;
            if (val is not null)
            {
                stop = _stopper.Step(epoch, fi);
                if (fi > _bestFitness) _bestFitness = fi;
            }
            var m = val ?? ValidationResult.NotValidated;
            lastRow = new EpochResult
            {
                Epoch = epoch, TrainBox = means["train/box_loss"], TrainObj = means["train/obj_loss"], TrainCls = means["train/cls_loss"],
                Precision = m.Precision, Recall = m.Recall, Map50 = m.Map50, Map5095 = m.Map5095,
                ValBox = m.BoxLoss, ValObj = m.ObjLoss, ValCls = m.ClsLoss,
                Lr0 = lrs.ElementAtOrDefault(0), Lr1 = lrs.ElementAtOrDefault(1), Lr2 = lrs.ElementAtOrDefault(2),
                Extra = ExtraMeans(means),
            };
            ResultsCsv.Append(_o.ResultsCsvPath, lastRow);
            if (!_o.NoPlots) ResultsPlot.Save(Path.Combine(_o.SaveDir, "results.png"), ResultsCsv.Read(_o.ResultsCsvPath));

            bool isBest = val is not null && _bestFitness == fi;
            if (!_o.NoSave || finalEpoch || stop)
            {
                using var ckpt = MakeCheckpoint(epoch);
                Checkpoint.Save(_o.LastPath, ckpt);
                if (isBest) Checkpoint.Save(_o.BestPath, ckpt);
                if (_o.SavePeriod > 0 && epoch % _o.SavePeriod == 0)
                    Checkpoint.Save(Path.Combine(_o.WeightsDir, $"epoch{epoch}.ckpt"), ckpt);
            }
            EpochProgress?.Report(new TrainEpochProgress(lastRow, fi, isBest, validate, epochWatch.Elapsed));
        }
        return new TrainSummary(epoch - _startEpoch, _stopper.BestEpoch, _bestFitness, lastRow, _o.LastPath, _o.BestPath,
                                _o.SaveDir, total.Elapsed, stop);
    }

    CheckpointData MakeCheckpoint(int epoch)
    {
        var extras = new Dictionary<string, Dictionary<string, Tensor>>(StringComparer.Ordinal);
        var meta = new Dictionary<string, string>(StringComparer.Ordinal) { ["producer"] = "yolo-distill train" };
        var metaOwner = new Dictionary<string, ITrainingExtension>(StringComparer.Ordinal);
        foreach (var ext in _exts)
        {
            foreach (var (g, d) in ext.StateToSave())
                if (!extras.TryAdd(g, d.ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().clone(), StringComparer.Ordinal)))
                    throw new InvalidOperationException($"Two training extensions save the checkpoint tensor group '{g}'.");
            foreach (var (k, v) in ext.Metadata)
            {
                // An extension may refine the trainer's own keys (producer), not another extension's.
                if (!metaOwner.TryAdd(k, ext)) throw new InvalidOperationException($"Two training extensions record the checkpoint metadata '{k}'.");
                meta[k] = v;
            }
        }
        return new CheckpointData
        {
            Config = Config,
            Ema = CheckpointData.Snapshot(_ema.Ema),
            Model = CheckpointData.Snapshot(Model),
            Optimizer = OptimizerSnapshot.Capture(_optimizer),
            Epoch = epoch,
            BestFitness = _bestFitness,
            BestEpoch = _stopper.BestEpoch,
            EmaUpdates = _ema.Updates,
            LastOptStep = _lastOptStep,
            Hyp = _hyp,
            Options = _o,
            Seed = _o.Seed,
            Extras = extras,
            Metadata = meta,
        };
    }

    /// <summary>An extension's loss items by column name, checked against the columns it declared.</summary>
    static IEnumerable<(string Column, float Value)> ItemsByColumn(ITrainingExtension ext, ExtensionLoss loss)
    {
        var columns = ext.Columns;
        if (loss.Items.Count != columns.Count || columns.Any(c => !loss.Items.ContainsKey(c)))
            throw new InvalidOperationException(
                $"{ext.GetType().Name} gave loss items ({string.Join(", ", loss.Items.Keys)}) for its columns ({string.Join(", ", columns)}); it must give one per column.");
        if (columns.Count == 0) return [];
        // One transfer for all of them: stacked on the device, in the declared order, then paired with the names.
        using var values = stack(columns.Select(c => loss.Items[c].detach().reshape([])).ToArray());
        var host = values.cpu().to(ScalarType.Float32).data<float>().ToArray();
        return columns.Select((c, k) => (c, host[k])).ToArray();
    }

    static IReadOnlyList<KeyValuePair<string, double>> ExtraMeans(ColumnMeans means) =>
        means.Values.Where(kv => !ResultsCsv.TrainLossColumns.Contains(kv.Key)).ToArray();

    /// <summary>
    /// train.py --multi-scale: the image size of batch <paramref name="ni"/>, random in [0.5, 1.5] x img rounded down to
    /// a stride multiple, drawn from (seed, ni) alone so that runs repeat and resume exactly in any process.
    /// </summary>
    public static int MultiScaleSize(int seed, long ni, int imgSize, int stride = 32)
    {
        var rng = new SampleRng(seed, ni, 0x5ca1e);
        int lo = (int)(imgSize * 0.5), hi = (int)(imgSize * 1.5) + stride;
        return (lo + rng.NextInt(hi - lo)) / stride * stride;
    }

    Tensor MultiScale(Tensor imgs, long ni)
    {
        const int gs = 32;
        int sz = MultiScaleSize(_o.Seed, ni, _o.ImgSize, gs);
        double sf = sz / (double)Math.Max(imgs.shape[2], imgs.shape[3]);
        if (sf == 1) return imgs;
        var ns = new[] { (long)Math.Ceiling(imgs.shape[2] * sf / gs) * gs, (long)Math.Ceiling(imgs.shape[3] * sf / gs) * gs };
        return nn.functional.interpolate(imgs, ns, mode: InterpolationMode.Bilinear, align_corners: false);
    }

    public void Dispose()
    {
        _loader.Dispose();
        _validator?.Dispose();
        _computeLoss.Dispose();
        _optimizer.Dispose();
        _ema.Ema.Dispose();
        Model.Dispose();
        foreach (var e in _owned) (e as IDisposable)?.Dispose();
    }
}
