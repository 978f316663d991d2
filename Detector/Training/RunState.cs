namespace YoloDistill.Detector.Training;

/// <summary>
/// Where a run is, beyond its weights: the first epoch this process trains, the last optimizer step (so gradient
/// accumulation continues in phase), the best fitness and early stopping's count. A checkpoint saves it and resume
/// restores it, which is what makes a resumed run end as the uninterrupted one.
/// </summary>
internal sealed class RunState(int patience)
{
    public int StartEpoch { get; set; }
    /// <summary>train.py's last_opt_step: the iteration of the last optimizer step; -1 before the first.</summary>
    public long LastOptStep { get; set; } = -1;
    /// <summary>Best validated fitness so far; an epoch that reaches it (ties included) is written as best.ckpt.</summary>
    public double BestFitness { get; set; }
    public EarlyStopping Stopper { get; } = new(patience);
}
