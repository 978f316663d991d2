using static TorchSharp.torch;

namespace YoloDistill.Detector.Training;

/// <summary>
/// Writes an epoch's checkpoint: last.ckpt after every epoch (with --nosave only the final one, or the one early
/// stopping ends on), best.ckpt when the epoch is the best validated so far, epoch{N}.ckpt every --save-period epochs.
/// Each holds everything a resume needs (<see cref="CheckpointData"/>), the extensions' tensors and metadata among it,
/// and is written atomically.
/// </summary>
internal sealed class CheckpointWriter(TrainingSetup setup, IReadOnlyList<ITrainingExtension> extensions, RunState state)
{
    public void Write(int epoch, EpochOutcome outcome)
    {
        var o = setup.Options;
        if (o.NoSave && !outcome.FinalEpoch && !outcome.Stop) return;
        using var ckpt = Capture(epoch);
        Checkpoint.Save(o.LastPath, ckpt);
        if (outcome.IsBest) Checkpoint.Save(o.BestPath, ckpt);
        if (o.SavePeriod > 0 && epoch % o.SavePeriod == 0)
            Checkpoint.Save(Path.Combine(o.WeightsDir, $"epoch{epoch}.ckpt"), ckpt);
    }

    CheckpointData Capture(int epoch)
    {
        var extras = new Dictionary<string, Dictionary<string, Tensor>>(StringComparer.Ordinal);
        var meta = new Dictionary<string, string>(StringComparer.Ordinal) { ["producer"] = "yolo-distill train" };
        var metaOwner = new Dictionary<string, ITrainingExtension>(StringComparer.Ordinal);
        foreach (var ext in extensions)
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
        var o = setup.Options;
        return new CheckpointData
        {
            Config = setup.Config,
            Ema = CheckpointData.Snapshot(setup.Ema.Ema),
            Model = CheckpointData.Snapshot(setup.Model),
            Optimizer = OptimizerSnapshot.Capture(setup.Optimizer),
            Epoch = epoch,
            BestFitness = state.BestFitness,
            BestEpoch = state.Stopper.BestEpoch,
            EmaUpdates = setup.Ema.Updates,
            LastOptStep = state.LastOptStep,
            Hyp = setup.Hyp,
            Options = o,
            Seed = o.Seed,
            Extras = extras,
            Metadata = meta,
        };
    }
}
