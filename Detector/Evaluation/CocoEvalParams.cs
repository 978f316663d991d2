namespace YoloDistill.Detector.Evaluation;

/// <summary>pycocotools' default bbox Params: thresholds built with np.linspace so equality tests against .5/.75 behave the same.</summary>
public sealed class CocoEvalParams
{
    /// <summary>IoU thresholds .50:.05:.95 (np.linspace(.5, 0.95, 10)).</summary>
    public double[] IouThrs { get; } = NumpyMath.Linspace(0.5, 0.95, 10);
    /// <summary>Recall thresholds 0:.01:1 (np.linspace(0, 1, 101)).</summary>
    public double[] RecThrs { get; } = NumpyMath.Linspace(0.0, 1.0, 101);
    /// <summary>Detections kept per image, ascending.</summary>
    public int[] MaxDets { get; } = [1, 10, 100];
    /// <summary>Area ranges on the ground truth 'area' field: all, small, medium, large.</summary>
    public (double Lo, double Hi)[] AreaRanges { get; } =
        [(0, 1e5 * 1e5), (0, 32 * 32), (32 * 32, 96 * 96), (96 * 96, 1e5 * 1e5)];
    public string[] AreaLabels { get; } = ["all", "small", "medium", "large"];

    public int T => IouThrs.Length;
    public int R => RecThrs.Length;
    public int A => AreaRanges.Length;
    public int M => MaxDets.Length;
}
