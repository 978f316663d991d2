namespace YoloDistill.Detector.Inference;

/// <summary>Which engine runs a model loaded by <see cref="YoloDetector.Load"/>.</summary>
public enum InferenceBackend
{
    /// <summary>ONNX Runtime for <c>.onnx</c> files, TorchSharp for everything else.</summary>
    Auto,

    /// <summary>TorchSharp (libtorch) with Conv+BatchNorm fused; reads <c>.ckpt</c>, <c>.pt</c> and <c>.safetensors</c>; CPU or CUDA.</summary>
    Torch,

    /// <summary>
    /// ONNX Runtime on the CPU. An <c>.onnx</c> file is run as it is; weights (<c>.ckpt</c>, <c>.pt</c>,
    /// <c>.safetensors</c>) are exported to ONNX at load time first.
    /// </summary>
    Onnx,
}
