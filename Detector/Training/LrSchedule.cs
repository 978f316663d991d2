namespace YoloDistill.Detector.Training;

/// <summary>
/// train.py's LambdaLR factor lf(epoch): linear (1 - x/epochs)(1 - lrf) + lrf, or with --cos-lr
/// one_cycle(1, lrf, epochs) = ((1 - cos(x*pi/epochs)) / 2)(lrf - 1) + 1. A group's lr in epoch e is initial_lr * lf(e).
/// </summary>
public sealed class LrSchedule(int epochs, double lrf, bool cosine)
{
    public int Epochs { get; } = epochs;
    public double Lrf { get; } = lrf;
    public bool Cosine { get; } = cosine;

    public double Factor(double epoch) => Cosine
        ? (1 - Math.Cos(epoch * Math.PI / Epochs)) / 2 * (Lrf - 1) + 1
        : (1 - epoch / Epochs) * (1.0 - Lrf) + Lrf;
}
