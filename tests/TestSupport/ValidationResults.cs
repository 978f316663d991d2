using YoloDistill.Detector.Evaluation;

namespace YoloDistill.Tests;

/// <summary>Validation results for scripted epoch validators: only the means and losses that results.csv and fitness read.</summary>
public static class ValidationResults
{
    public static ValidationResult Of(double precision, double recall, double map50, double map5095, double box, double obj, double cls) =>
        new(new ValMetrics(0, 0, precision, recall, map50, map5095, [], [], null), new ConfusionMatrix(1), [], [box, obj, cls]);
}
