using static TorchSharp.torch;

namespace YoloDistill.Detector.Inference;

/// <summary>Something that turns letterboxed images into Detect's decoded predictions.</summary>
public interface IDetectorBackend : IDisposable
{
    /// <summary>"torch" or "onnx".</summary>
    string Name { get; }

    /// <summary>Class names, index = class id.</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>The largest stride: letterboxed sizes must be multiples of it.</summary>
    int MaxStride { get; }

    /// <summary>The fixed square input size the backend requires, or null when any multiple of the stride works.</summary>
    int? FixedImgSize { get; }

    /// <summary>The fixed batch size the backend requires (a static ONNX export takes 1), or null when any batch works.</summary>
    int? FixedBatchSize => null;

    /// <summary>(b,3,h,w) float32 RGB in [0,1] -> (b, N, 5+nc) float32 on the CPU: cx, cy, w, h (pixels), obj, class probs.</summary>
    Tensor Forward(Tensor images);
}
