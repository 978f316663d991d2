using YoloDistill.Detector.Common;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Data;

/// <summary>
/// One batch as the loader yields it. Images are float32 NCHW RGB in [0,1]; targets are Ultralytics'
/// (image_index, class, cx, cy, w, h) with coordinates normalised by the input width/height.
/// The batch owns its tensors: dispose it when the step is done.
/// </summary>
public sealed class DetectionBatch : IDisposable
{
    public required Tensor Images { get; init; }
    public required Tensor Targets { get; init; }
    public required string[] Paths { get; init; }
    public required long[] ImageIds { get; init; }
    public required ImageShape[] Shapes { get; init; }

    public int Count => Paths.Length;

    public void Dispose()
    {
        Images.Dispose();
        Targets.Dispose();
    }
}
