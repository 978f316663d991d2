namespace YoloDistill.Detector.Training;

/// <summary>What an epoch's validation yields for results.csv and fitness.</summary>
public sealed record ValidationResult(double Precision, double Recall, double Map50, double Map5095, double BoxLoss, double ObjLoss, double ClsLoss)
{
    public double Fitness => Training.Fitness.Of(Precision, Recall, Map50, Map5095);

    /// <summary>The row of an epoch that was not validated: every metric NaN (results.csv writes "NaN", plots skip it).</summary>
    public static ValidationResult NotValidated { get; } = new(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
}
