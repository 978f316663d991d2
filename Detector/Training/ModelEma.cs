using TorchSharp;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Training;

/// <summary>
/// Ultralytics ModelEMA: an exponential moving average of every floating-point entry of the model's state dict
/// (parameters and BatchNorm running statistics), v = d*v + (1-d)*model with d = decay*(1 - exp(-updates/tau)),
/// so early updates follow the model closely. The average is what gets validated and saved.
/// </summary>
public sealed class ModelEma
{
    public nn.Module Ema { get; }
    public long Updates { get; set; }
    public double DecayBase { get; }
    public double Tau { get; }

    /// <param name="model">The model being trained.</param>
    /// <param name="copy">A fresh module of the same architecture (TorchSharp has no deepcopy); it receives the model's state.</param>
    /// <param name="decay">Final decay (0.9999).</param>
    /// <param name="tau">Ramp time constant in updates (2000).</param>
    /// <param name="updates">Updates already done (when resuming).</param>
    public ModelEma(nn.Module model, nn.Module copy, double decay = 0.9999, double tau = 2000, long updates = 0)
    {
        Ema = copy;
        DecayBase = decay;
        Tau = tau;
        Updates = updates;
        CopyState(model, Ema);
        Ema.eval();
        foreach (var p in Ema.parameters()) p.requires_grad = false;
    }

    public double Decay(long updates) => DecayBase * (1 - Math.Exp(-updates / Tau));

    public void Update(nn.Module model)
    {
        Updates++;
        double d = Decay(Updates);
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        var msd = model.state_dict();
        foreach (var (k, v) in Ema.state_dict())
        {
            if (!v.is_floating_point()) continue;
            if (!msd.TryGetValue(k, out var m))
                throw new InvalidOperationException($"EMA: the model has no state entry '{k}'.");
            v.mul_(d);
            // (1-d)*m is rounded to the tensor dtype before the add, as in `v += (1 - d) * msd[k].detach()`.
            v.add_(m.detach().mul(1 - d));
        }
    }

    /// <summary>Copies every state entry (params and buffers, any dtype) of <paramref name="from"/> into <paramref name="to"/>.</summary>
    public static void CopyState(nn.Module from, nn.Module to)
    {
        using var noGrad = torch.no_grad();
        var src = from.state_dict();
        foreach (var (k, v) in to.state_dict())
        {
            if (!src.TryGetValue(k, out var s))
                throw new InvalidOperationException($"Cannot copy state: the source has no entry '{k}'.");
            v.copy_(s);
        }
    }
}
