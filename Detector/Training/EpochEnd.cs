using YoloDistill.Detector.Evaluation;
using YoloDistill.Detector.Model;

namespace YoloDistill.Detector.Training;

/// <summary>How an epoch ended: its validation (null when skipped), fitness, and what follows from them.</summary>
/// <param name="Validation">The EMA model's metrics and losses; null when the epoch was not validated.</param>
/// <param name="Fitness">NaN when not validated.</param>
/// <param name="IsBest">Validated and at the best fitness so far: written as best.ckpt.</param>
/// <param name="FinalEpoch">The last epoch, or one early stopping may end on: always validated and checkpointed.</param>
/// <param name="Stop">Early stopping ends the run after this epoch.</param>
/// <param name="LearningRates">Each parameter group's lr during the epoch (results.csv's x/lr0..2).</param>
internal sealed record EpochOutcome(ValidationResult? Validation, double Fitness, bool IsBest, bool FinalEpoch, bool Stop, double[] LearningRates)
{
    public bool Validated => Validation is not null;
}

/// <summary>
/// After an epoch's batches: whether it is validated (every --val-every epochs, and always the final one), the EMA
/// model's metrics and fitness, early stopping, whether it is the best epoch so far, and its results.csv row.
/// </summary>
internal sealed class EpochEnd(TrainingSetup setup, RunState state)
{
    public EpochOutcome Evaluate(int epoch, CancellationToken ct)
    {
        var o = setup.Options;
        var lrs = setup.Optimizer.ParamGroups.Select(g => g.LearningRate).ToArray();
        bool finalEpoch = epoch + 1 == o.Epochs || state.Stopper.PossibleStop;
        bool validate = (!o.NoVal && (epoch + 1) % o.ValEvery == 0) || finalEpoch;
        // An epoch that is not validated has no metrics: its row says NaN (never the last epoch's numbers), it
        // cannot become best.ckpt, and early stopping counts only validated epochs.
        var val = validate ? setup.Validator.Validate((YoloModel)setup.Ema.Ema, setup.ComputeLoss, ct) : null;
        double fi = val is null ? double.NaN : Fitness.Of(val);
        bool stop = false;
        if (val is not null)
        {
            stop = state.Stopper.Step(epoch, fi);
            if (fi > state.BestFitness) state.BestFitness = fi;
        }
        return new EpochOutcome(val, fi, val is not null && state.BestFitness == fi, finalEpoch, stop, lrs);
    }

    /// <summary>The epoch's results.csv row: mean training losses by column, validation metrics and losses, lrs.</summary>
    public static EpochResult Row(int epoch, ColumnMeans means, EpochOutcome outcome)
    {
        // An epoch that was not validated writes NaN for every metric (results.csv says "NaN", plots skip it).
        var v = outcome.Validation;
        var m = v?.Metrics;
        double[] losses = v is null ? [double.NaN, double.NaN, double.NaN] : v.Losses ?? [0, 0, 0];
        var lrs = outcome.LearningRates;
        return new EpochResult
        {
            Epoch = epoch, TrainBox = means["train/box_loss"], TrainObj = means["train/obj_loss"], TrainCls = means["train/cls_loss"],
            Precision = m?.MP ?? double.NaN, Recall = m?.MR ?? double.NaN, Map50 = m?.Map50 ?? double.NaN, Map5095 = m?.Map ?? double.NaN,
            ValBox = losses[0], ValObj = losses[1], ValCls = losses[2],
            Lr0 = lrs.ElementAtOrDefault(0), Lr1 = lrs.ElementAtOrDefault(1), Lr2 = lrs.ElementAtOrDefault(2),
            Extra = ExtensionMeans(means),
        };
    }

    /// <summary>The extensions' columns of <paramref name="means"/> (all but the detector's box/obj/cls), in order.</summary>
    public static IReadOnlyList<KeyValuePair<string, double>> ExtensionMeans(ColumnMeans means) =>
        means.Values.Where(kv => !ResultsCsv.TrainLossColumns.Contains(kv.Key)).ToArray();
}
