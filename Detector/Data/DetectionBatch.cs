using static TorchSharp.torch;

namespace YoloDistill.Detector.Data;

/// <summary>Where a network input came from: original size and the letterbox that mapped it (for scaling boxes back).</summary>
/// <param name="OriginalHeight">h0 of the image file.</param>
/// <param name="OriginalWidth">w0 of the image file.</param>
/// <param name="RatioH">Resize gain in y (new h / h0).</param>
/// <param name="RatioW">Resize gain in x (new w / w0).</param>
/// <param name="PadW">Left padding in pixels (dw, Ultralytics' pad[0]).</param>
/// <param name="PadH">Top padding in pixels (dh, Ultralytics' pad[1]).</param>
public readonly record struct ImageShape(int OriginalHeight, int OriginalWidth, double RatioH, double RatioW, double PadW, double PadH);

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
