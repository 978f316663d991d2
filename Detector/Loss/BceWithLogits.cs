using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace YoloDistill.Detector.Loss;

/// <summary>
/// nn.BCEWithLogitsLoss(pos_weight) with mean reduction, optionally wrapped in Ultralytics' FocalLoss
/// (TF-style modulating factor (1 - p_t)^gamma and alpha weighting) when gamma &gt; 0.
/// </summary>
internal sealed class BceWithLogits : IDisposable
{
    readonly Tensor _posWeight;
    readonly double _gamma;
    readonly double _alpha;

    public BceWithLogits(double posWeight, double focalGamma, Device device, double focalAlpha = 0.25)
    {
        _posWeight = tensor(new[] { (float)posWeight }, device: device).DetachFromDisposeScope();
        _gamma = focalGamma;
        _alpha = focalAlpha;
    }

    public Tensor Forward(Tensor pred, Tensor truth)
    {
        if (_gamma <= 0)
            return F.binary_cross_entropy_with_logits(pred, truth, null, nn.Reduction.Mean, _posWeight);
        using var scope = NewDisposeScope();
        var loss = F.binary_cross_entropy_with_logits(pred, truth, null, nn.Reduction.None, _posWeight);
        var prob = pred.sigmoid();
        var pT = truth * prob + (1 - truth) * (1 - prob);
        var alphaFactor = truth * _alpha + (1 - truth) * (1 - _alpha);
        var modulating = (1.0 - pT).pow(_gamma);
        return scope.MoveToOuter((loss * (alphaFactor * modulating)).mean());
    }

    public void Dispose() => _posWeight.Dispose();
}
