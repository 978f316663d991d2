namespace YoloDistill.Detector.Training;

/// <summary>One row of results.csv: the epoch's mean train losses, validation metrics and losses, and group lrs.</summary>
public sealed record EpochResult
{
    public required int Epoch { get; init; }
    public double TrainBox { get; init; }
    public double TrainObj { get; init; }
    public double TrainCls { get; init; }
    public double Precision { get; init; }
    public double Recall { get; init; }
    public double Map50 { get; init; }
    public double Map5095 { get; init; }
    public double ValBox { get; init; }
    public double ValObj { get; init; }
    public double ValCls { get; init; }
    public double Lr0 { get; init; }
    public double Lr1 { get; init; }
    public double Lr2 { get; init; }
    /// <summary>Extra columns in order (e.g. train/imit_loss from distillation).</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Extra { get; init; } = [];

    public double Fitness => Training.Fitness.Of(Precision, Recall, Map50, Map5095);
}
