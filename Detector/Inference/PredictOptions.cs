namespace YoloDistill.Detector.Inference;

/// <summary>Per-image inference settings; defaults are Ultralytics detect.py's (imgsz 640, conf 0.25, iou 0.45, max_det 1000).</summary>
public sealed record PredictOptions
{
    public int ImgSize { get; init; } = 640;
    public double ConfThres { get; init; } = 0.25;
    public double IouThres { get; init; } = 0.45;
    public int MaxDet { get; init; } = 1000;
    public int[]? Classes { get; init; }
    public bool Agnostic { get; init; }

    /// <summary>
    /// Minimal (stride-multiple) padding instead of a square input. Null: as detect.py, true for backends that accept any
    /// size (torch, dynamic ONNX) and false for fixed-size ONNX models.
    /// </summary>
    public bool? Auto { get; init; }
}
