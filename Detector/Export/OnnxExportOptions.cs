namespace YoloDistill.Detector.Export;

/// <summary>ONNX export settings; defaults follow Ultralytics export.py (imgsz 640, fp32, static shapes) at opset 17.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>Square input size in pixels (a multiple of the largest stride).</summary>
    public int ImgSize { get; init; } = 640;

    /// <summary>Float16 weights, input and output (as export.py --half). CPU ONNX Runtime may lack float16 kernels.</summary>
    public bool Half { get; init; }

    /// <summary>Symbolic batch, height and width (export.py --dynamic); Detect's grids are then computed in the graph.</summary>
    public bool Dynamic { get; init; }

    /// <summary>Default-domain opset; Resize with scales and Shape(start, end) need at least 15.</summary>
    public int Opset { get; init; } = 17;
}
