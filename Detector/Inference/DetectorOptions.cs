namespace YoloDistill.Detector.Inference;

/// <summary>
/// How <see cref="YoloDetector.Load"/> loads a model and how its detections are filtered. The defaults are Ultralytics
/// detect.py's: 640 pixels, confidence 0.25, IoU 0.45, at most 1000 boxes per image, every class.
/// </summary>
public sealed record DetectorOptions
{
    /// <summary>The engine; <see cref="InferenceBackend.Auto"/> (default) picks ONNX Runtime for <c>.onnx</c> files and TorchSharp otherwise.</summary>
    public InferenceBackend Backend { get; init; } = InferenceBackend.Auto;

    /// <summary>
    /// TorchSharp device: <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> or <c>auto</c> (default, null: CUDA when present).
    /// The ONNX backend always runs on the CPU and ignores it.
    /// </summary>
    public string? Device { get; init; }

    /// <summary>
    /// Network input size in pixels, a multiple of the model's largest stride (32). Null (default): the size a
    /// fixed-size ONNX model was exported at, else 640. A fixed-size ONNX model accepts only its own size.
    /// </summary>
    public int? ImageSize { get; init; }

    /// <summary>Boxes below this confidence (objectness × class probability) are dropped; default 0.25.</summary>
    public double Confidence { get; init; } = 0.25;

    /// <summary>Non-maximum suppression: a box overlapping a better box of the same class by more than this IoU is dropped; default 0.45.</summary>
    public double Iou { get; init; } = 0.45;

    /// <summary>Most boxes kept per image, best first; default 1000.</summary>
    public int MaxDetections { get; init; } = 1000;

    /// <summary>Class ids to keep (null, the default: all classes).</summary>
    public IReadOnlyList<int>? Classes { get; init; }

    /// <summary>Suppress overlapping boxes across classes instead of per class (default false).</summary>
    public bool ClassAgnosticNms { get; init; }

    /// <summary>
    /// ONNX Runtime intra-op threads (0, the default: ONNX Runtime's choice). TorchSharp's thread count is process-wide;
    /// set it with <c>TorchSharp.torch.set_num_threads</c>.
    /// </summary>
    public int Threads { get; init; }

    /// <summary>
    /// Where the ONNX backend writes the model it exports from weights (kept there). Null (default): a temporary
    /// folder, deleted once ONNX Runtime has read the model.
    /// </summary>
    public string? OnnxExportDirectory { get; init; }
}
