namespace YoloDistill.Detector.Loss;

/// <summary>Label-smoothing BCE targets (Ultralytics smooth_BCE, arXiv 1902.04103 eq. 3).</summary>
public static class SmoothBce
{
    /// <summary>Positive and negative class targets: 1 - eps/2 and eps/2.</summary>
    public static (double Positive, double Negative) Targets(double eps) => (1.0 - 0.5 * eps, 0.5 * eps);
}
