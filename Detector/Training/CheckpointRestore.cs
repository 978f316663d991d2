using YoloDistill.Detector.Model;

namespace YoloDistill.Detector.Training;

/// <summary>
/// Puts a run back where its checkpoint left it: raw and EMA weights, the optimizer's moments and lrs, the extensions'
/// tensors and the run's counters. Everything comes from the one read a <see cref="ResumePoint"/> made.
/// </summary>
internal static class CheckpointRestore
{
    /// <summary>Restores <paramref name="point"/> into the built run and returns the note that says so.</summary>
    public static string Apply(ResumePoint point, TrainingSetup setup, IReadOnlyList<ITrainingExtension> extensions, RunState state)
    {
        var c = point.Checkpoint;
        var path = point.Path;
        setup.Model.LoadStateDictStrict(c.Model!, path + " (model)");
        ((YoloModel)setup.Ema.Ema).LoadStateDictStrict(c.Ema, path + " (ema)");
        setup.Ema.Updates = c.EmaUpdates;
        // Before the optimizer, whose parameter count would differ too, but with a message that says why.
        var claimed = extensions.SelectMany(e => e.StateToSave().Keys);
        var unclaimed = c.Extras.Keys.Except(claimed, StringComparer.Ordinal).ToArray();
        if (unclaimed.Length > 0)
            throw new InvalidDataException(
                $"{path}: the checkpoint holds the state of training extensions ({string.Join(", ", unclaimed)}) that this resume did not rebuild; " +
                "register the factory that rebuilds them (TrainingExtensionRegistry) or the run would continue without them.");
        c.Optimizer!.Restore(setup.Optimizer);
        foreach (var ext in extensions) ext.LoadState(c.Extras);
        state.StartEpoch = c.Epoch + 1;
        state.BestFitness = c.BestFitness;
        state.Stopper.BestFitness = c.BestFitness;
        state.Stopper.BestEpoch = c.BestEpoch;
        state.LastOptStep = c.LastOptStep;
        return $"resuming from {path}: epoch {state.StartEpoch} of {setup.Options.Epochs}, best fitness {c.BestFitness:F5}";
    }
}
