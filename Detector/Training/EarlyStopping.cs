namespace YoloDistill.Detector.Training;

/// <summary>
/// Ultralytics EarlyStopping: stop when fitness has not improved (&gt;=, so early zero-fitness epochs count as
/// improvement) for <c>patience</c> epochs; patience 0 means never.
/// </summary>
public sealed class EarlyStopping(int patience)
{
    public double BestFitness { get; set; }
    public int BestEpoch { get; set; }
    public int Patience { get; } = patience;
    /// <summary>True when the next epoch could be the last one (so it is validated even with --val-every).</summary>
    public bool PossibleStop { get; private set; }

    /// <summary>Records an epoch's fitness; returns true when training should stop.</summary>
    public bool Step(int epoch, double fitness)
    {
        if (fitness >= BestFitness)
        {
            BestEpoch = epoch;
            BestFitness = fitness;
        }
        double p = Patience == 0 ? double.PositiveInfinity : Patience;
        int delta = epoch - BestEpoch;
        PossibleStop = delta >= p - 1;
        return delta >= p;
    }
}
