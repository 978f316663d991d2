using TorchSharp;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Model;

/// <summary>
/// What a YOLOv5 forward pass gives: Raw per level (bs, na, ny, nx, no) before sigmoid for the loss,
/// Features (the P3/P4/P5 neck outputs of model.17/20/23) for feature imitation, and Decoded (bs, N, no)
/// pixel boxes with probabilities, only when the model is in eval mode.
/// </summary>
public sealed class YoloOutput : IDisposable
{
    public required Tensor[] Raw { get; init; }
    public required Tensor[] Features { get; init; }
    public Tensor? Decoded { get; init; }

    public void Dispose()
    {
        foreach (var t in Raw) t.Dispose();
        foreach (var t in Features) t.Dispose();
        Decoded?.Dispose();
    }
}
