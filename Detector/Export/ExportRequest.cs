using YoloDistill.Detector.Model;

namespace YoloDistill.Detector.Export;

public enum ExportFormat { Onnx, SafeTensors, TorchSharp }

/// <summary>One export: source weights, target format and options (export.py defaults: 640, fp32, static).</summary>
public sealed record ExportRequest
{
    public required string Weights { get; init; }
    public required ExportFormat Format { get; init; }
    public int ImgSize { get; init; } = 640;
    public bool Half { get; init; }
    public bool Dynamic { get; init; }
    public int Opset { get; init; } = 17;
    /// <summary>Output file; null: next to the weights, named by format.</summary>
    public string? Out { get; init; }
}

public sealed record ExportResult(string Path, ExportFormat Format, long Bytes, ModelConfig Config, int Tensors);
