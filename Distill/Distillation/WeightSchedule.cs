namespace YoloDistill.Distill.Distillation;

/// <summary>How a loss weight falls after its ramp: not at all, or to <see cref="WeightSchedule.Final"/> × its value by the last iteration.</summary>
public enum WeightDecay
{
    None,
    /// <summary>Half a cosine from 1 to the final factor (DAMO-YOLO decays its distillation weight this way, to 0.1).</summary>
    Cosine,
    Linear,
}

/// <summary>
/// The factor a loss weight is multiplied by at an iteration: 0 during <see cref="Delay"/> iterations (FGFI's reference
/// code holds imitation at 0 for its first steps), then a linear ramp over <see cref="Warmup"/> iterations, and a decay
/// from 1 to <see cref="Final"/> over the iterations after the delay.
/// </summary>
public sealed record WeightSchedule(long Delay = 0, long Warmup = 0, WeightDecay Decay = WeightDecay.None, double Final = 1.0)
{
    public double Factor(DistillProgress p)
    {
        if (p.Iteration < Delay) return 0;
        long k = p.Iteration - Delay;
        double ramp = Warmup <= 0 ? 1 : Math.Min(1.0, (k + 1) / (double)Warmup);
        if (Decay == WeightDecay.None || p.TotalIterations <= Delay + 1) return ramp;
        double x = Math.Clamp(k / (double)(p.TotalIterations - Delay - 1), 0, 1);
        double f = Decay == WeightDecay.Cosine ? Final + (1 - Final) * 0.5 * (1 + Math.Cos(Math.PI * x)) : 1 - (1 - Final) * x;
        return ramp * f;
    }
}
