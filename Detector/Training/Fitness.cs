using YoloDistill.Detector.Evaluation;

namespace YoloDistill.Detector.Training;

/// <summary>Ultralytics utils/metrics.py fitness: weights [P, R, mAP@0.5, mAP@0.5:0.95] = [0, 0, 0.1, 0.9].</summary>
public static class Fitness
{
    /// <remarks>P and R have weight 0 and are left out of the sum, so a validator that does not report them (NaN) still ranks epochs.</remarks>
    public static double Of(double precision, double recall, double map50, double map5095) => 0.1 * map50 + 0.9 * map5095;

    /// <summary>The fitness of a validation pass (mean P, R, mAP@0.5 and mAP@0.5:0.95 over classes).</summary>
    public static double Of(ValidationResult r) => Of(r.Metrics.MP, r.Metrics.MR, r.Metrics.Map50, r.Metrics.Map);
}
