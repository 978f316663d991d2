using System.Globalization;

namespace YoloDistill.Distill.Distillation;

/// <summary>
/// The run-level schedule of distillation, over every selected loss: a decay that multiplies each loss's weight (on top
/// of a loss's own schedule, e.g. FGFI's --imitation-decay: the two multiply), and the last epochs with distillation off.
/// </summary>
/// <remarks>
/// The decay is <see cref="WeightSchedule"/>'s, from 1 at the first iteration to <see cref="Final"/> at the last one
/// that distils. DAMO-YOLO multiplies its distillation loss by ((1 − cos(π·it/total)) / 2)·(0.1 − 1) + 1 over the
/// whole run (damo/apis/detector_trainer.py), i.e. a half cosine from 1 to 0.1, hence the default final factor;
/// YOLOv6 uses the same form per epoch down to 0.01 (yolov6/models/losses/loss_distill.py, distill_weightdecay).
/// Stopping: mmrazor's StopDistillHook turns distillation off from its stop_epoch on, and mmyolo's RTMDet distillation
/// configs stop the distillation gradient at epoch 280 of 300 (DistillationLossDetachHook, detach_epoch=280), the
/// epoch at which their pipeline switch turns mosaic off: the student fine-tunes alone for the last 20 epochs. Here the
/// teacher's forward pass is skipped too in those epochs (it would only cost time), and the adapters get no gradient.
/// Runs written before these settings existed read them as their defaults, which is the behaviour such runs had.
/// </remarks>
public sealed class DistillSchedule
{
    public static readonly LossSetting<WeightDecay> Decay = Setting.Choice("distill-decay",
        "Decay of every selected loss's weight over the run, multiplying each loss's own schedule (DAMO-YOLO: cosine to 0.1)", WeightDecay.None);
    public static readonly LossSetting<double> Final = Setting.Number("distill-final",
        "With --distill-decay: the weights' factor at the last distilled iteration", 0.1, v => v is < 0 or > 1 ? "must lie in [0, 1]" : null);
    public static readonly LossSetting<long> StopEpochs = Setting.Count("distill-stop-epochs",
        "Last N epochs without distillation: weights 0, no teacher forward (mmyolo's RTMDet: the last 20 of 300)", 0);

    /// <summary>The run-level settings; they apply to every method.</summary>
    public static IReadOnlyList<LossSetting> Settings { get; } = [Decay, Final, StopEpochs];

    readonly WeightSchedule decay;

    public DistillSchedule(LossSettings settings)
    {
        decay = new WeightSchedule(Decay: settings.Get(Decay), Final: settings.Get(Final));
        Stop = settings.Get(StopEpochs);
    }

    /// <summary>Epochs at the end of the run without distillation.</summary>
    public long Stop { get; }

    /// <summary>Whether distillation is off at <paramref name="p"/> (one of the last <see cref="Stop"/> epochs).</summary>
    public bool IsStopped(DistillProgress p) => Stop > 0 && p.Iteration >= LastDistilled(p);

    /// <summary>The factor every selected loss's weight is multiplied by at <paramref name="p"/>.</summary>
    public double Factor(DistillProgress p) =>
        IsStopped(p) ? 0 : decay.Factor(new DistillProgress(p.Iteration, Stop > 0 ? LastDistilled(p) : p.TotalIterations));

    /// <summary>The number of iterations that distil: the run's less the last <see cref="Stop"/> epochs.</summary>
    long LastDistilled(DistillProgress p)
    {
        if (p.IterationsPerEpoch <= 0)
            throw new InvalidOperationException("--distill-stop-epochs needs the iterations per epoch in the progress.");
        return p.TotalIterations - Stop * p.IterationsPerEpoch;
    }

    /// <summary>Refuses a stop that leaves no epoch to distil.</summary>
    public void CheckEpochs(int epochs)
    {
        if (Stop >= epochs)
            throw new ArgumentException($"--distill-stop-epochs {Stop}: must be less than --epochs {epochs} (distillation would never run).");
    }

    /// <summary>One line for the console, or null when the schedule is the default (constant weights to the end).</summary>
    public string? Describe()
    {
        var parts = new List<string>();
        if (decay.Decay != WeightDecay.None)
            parts.Add($"every weight × {Decay.Format(decay.Decay)} decay to {Final.Format(decay.Final)}");
        if (Stop > 0) parts.Add(string.Create(CultureInfo.InvariantCulture, $"distillation off for the last {Stop} epoch{(Stop == 1 ? "" : "s")} (no teacher forward)"));
        return parts.Count == 0 ? null : "schedule: " + string.Join(", ", parts);
    }
}
