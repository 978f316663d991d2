using static TorchSharp.torch;

namespace YoloDistill.Detector.Loss;

/// <summary>
/// The positives that Ultralytics' build_targets assigns on one detection level: for each, the image, anchor and grid
/// cell (gj, gi) of the prediction it supervises, the target box (xy relative to that cell, wh in grid units), the
/// anchor wh in grid units and the class. Rows are in build_targets' order (offset, then anchor, then target).
/// </summary>
internal sealed class TargetAssignment : IDisposable
{
    public required Tensor Image { get; init; }
    public required Tensor Anchor { get; init; }
    public required Tensor GridY { get; init; }
    public required Tensor GridX { get; init; }
    public required Tensor Box { get; init; }
    public required Tensor AnchorWh { get; init; }
    public required Tensor Class { get; init; }

    public long Count => Image.shape[0];

    public void Dispose()
    {
        foreach (var t in new[] { Image, Anchor, GridY, GridX, Box, AnchorWh, Class }) t.Dispose();
    }
}
