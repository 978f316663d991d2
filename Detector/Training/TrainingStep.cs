using TorchSharp;
using YoloDistill.Detector.Data;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Training;

/// <summary>What one batch gave: its loss items by column name, and what the progress bar shows of it.</summary>
internal sealed record StepResult(IReadOnlyDictionary<string, float> Items, int Instances, int ImgSize);

/// <summary>
/// One batch of train.py's loop: warmup, forward, the detection loss plus every extension's, a check that it is
/// finite, backward, and once enough images are accumulated (64, fewer during warmup) gradient clipping, an optimizer
/// step and the EMA update.
/// </summary>
internal sealed class TrainingStep
{
    /// <summary>train.py: clip_grad_norm_(model.parameters(), max_norm=10.0).</summary>
    const double MaxGradNorm = 10.0;

    readonly TrainingSetup setup;
    readonly IReadOnlyList<ITrainingExtension> extensions;
    readonly RunState state;
    // Per run, not per epoch, as in train.py: warmup lowers it for the first iterations only.
    int accumulate;

    public TrainingStep(TrainingSetup setup, IReadOnlyList<ITrainingExtension> extensions, RunState state)
    {
        this.setup = setup;
        this.extensions = extensions;
        this.state = state;
        accumulate = setup.Options.Accumulate;
        Columns = ColumnsOf(extensions);
    }

    /// <summary>The loss columns a step fills: the detector's box/obj/cls, then each extension's, by name.</summary>
    public IReadOnlyList<string> Columns { get; }

    public static IReadOnlyList<string> ColumnsOf(IReadOnlyList<ITrainingExtension> extensions) =>
        [.. ResultsCsv.TrainLossColumns, .. extensions.SelectMany(e => e.Columns)];

    /// <summary>Switches to training mode and sets the epoch's lrs (train.py's scheduler step), gradients cleared.</summary>
    public void BeginEpoch(int epoch)
    {
        setup.Model.train();
        foreach (var ext in extensions) ext.OnEpochStart(epoch);
        Warmup.ApplyEpoch(setup.Optimizer, epoch, setup.Schedule);
        setup.Optimizer.zero_grad();
    }

    /// <summary>Trains on batch <paramref name="batch"/> of <paramref name="epoch"/>, iteration <paramref name="ni"/> of the run.</summary>
    public StepResult Run(DetectionBatch b, int epoch, int batch, long ni)
    {
        using var scope = NewDisposeScope();
        var o = setup.Options;
        if (ni <= setup.WarmupIterations) accumulate = Warmup.Apply(setup.Optimizer, ni, setup.WarmupIterations, epoch, setup.Schedule, setup.Hyp, o.BatchSize);

        var imgs = b.Images.to(setup.Device);
        if (o.MultiScale) imgs = MultiScale.Resize(imgs, o.Seed, ni, o.ImgSize);
        var output = setup.Model.forward(imgs);
        var (loss, items) = setup.ComputeLoss.Compute(output.Raw, b.Targets.to(setup.Device));
        var totalLoss = loss;
        var extras = new ExtensionLoss[extensions.Count];
        var named = new Dictionary<string, float>(StringComparer.Ordinal);
        for (int e = 0; e < extensions.Count; e++)
        {
            extras[e] = extensions[e].ExtraLoss(b, imgs, output);
            totalLoss = totalLoss + extras[e].Loss;
            foreach (var (column, value) in ItemsByColumn(extensions[e], extras[e])) named[column] = value;
        }
        var it = items.detach().cpu().data<float>().ToArray();
        for (int k = 0; k < ResultsCsv.TrainLossColumns.Length; k++) named[ResultsCsv.TrainLossColumns[k]] = it[k];
        float lossValue = totalLoss.detach().cpu().sum().item<float>();
        if (!float.IsFinite(lossValue))
            throw new TrainingDivergedException(
                $"loss became {lossValue} at epoch {epoch}, batch {batch} (box {it[0]}, obj {it[1]}, cls {it[2]}); training stopped. " +
                $"{(File.Exists(o.LastPath) ? $"The last good checkpoint is {o.LastPath}." : "No checkpoint was written yet.")}");
        if (setup.Diagnostics?.Due(ni) == true) setup.Diagnostics.Probe(epoch, ni, loss, extras);
        // train.py: loss *= WORLD_SIZE, as the gradients are averaged between the processes.
        if (setup.Group.WorldSize > 1) totalLoss = totalLoss * setup.Group.WorldSize;
        totalLoss.backward();

        if (ni - state.LastOptStep >= accumulate) OptimizerStep(ni);
        return new StepResult(named, (int)b.Targets.shape[0], (int)imgs.shape[^1]);
    }

    void OptimizerStep(long ni)
    {
        // The accumulated gradients averaged over the processes before the clip and the step (DDP's all-reduce), so
        // every rank's optimizer, EMA and schedule take the same step.
        if (setup.Group.WorldSize > 1)
            setup.Group.AllReduceMean(WithGrad(setup.AllParameters).Select(p => p.grad!).ToArray());
        var withGrad = WithGrad(setup.ClipParameters);
        if (withGrad.Length > 0)
        {
            double norm = nn.utils.clip_grad_norm_(withGrad, MaxGradNorm);
            setup.Diagnostics?.RecordClip(norm, MaxGradNorm);
        }
        if (setup.Options.Clip != GradClip.All) ExtensionClip();
        setup.Optimizer.step();
        setup.Optimizer.zero_grad();
        setup.Ema.Update(setup.Model);
        state.LastOptStep = ni;
    }

    /// <summary>
    /// The extensions' parameters outside the model's clip: clipped on their own (<see cref="GradClip.Separate"/>) or
    /// left as they are (<see cref="GradClip.Student"/>, their norm then measured only for the diagnostics).
    /// </summary>
    void ExtensionClip()
    {
        var withGrad = WithGrad(setup.ExtensionParameters);
        if (withGrad.Length == 0) return;
        if (setup.Options.Clip == GradClip.Separate)
        {
            double norm = nn.utils.clip_grad_norm_(withGrad, MaxGradNorm);
            setup.Diagnostics?.RecordExtensionClip(norm, MaxGradNorm);
        }
        else if (setup.Diagnostics is { } d)
        {
            using var scope = NewDisposeScope();
            double norm = stack(withGrad.Select(p => p.grad!.norm()).ToArray()).norm().item<float>();
            d.RecordExtensionClip(norm, double.PositiveInfinity);
        }
    }

    static TorchSharp.Modules.Parameter[] WithGrad(IEnumerable<TorchSharp.Modules.Parameter> parameters) =>
        parameters.Where(p => p.requires_grad && p.grad is not null).ToArray();

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
}
