using TorchSharp;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Model;

/// <summary>Ultralytics Concat: joins the outputs of earlier layers along channels.</summary>
public sealed class Concat(long dimension = 1) : nn.Module<Tensor[], Tensor>(nameof(Concat))
{
    public override Tensor forward(Tensor[] xs) => torch.cat(xs, dimension);
}
