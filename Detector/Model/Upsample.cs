using TorchSharp;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Model;

/// <summary>nn.Upsample(None, 2, 'nearest') as the YOLOv5 head uses it: each pixel repeated 2x2.</summary>
public sealed class Upsample(long scale = 2) : nn.Module<Tensor, Tensor>(nameof(Upsample))
{
    public long Scale { get; } = scale;

    public override Tensor forward(Tensor x) =>
        nn.functional.interpolate(x, scale_factor: [Scale, Scale], mode: InterpolationMode.Nearest);
}
