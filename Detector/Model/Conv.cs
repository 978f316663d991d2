using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Model;

/// <summary>
/// Ultralytics Conv: Conv2d (no bias) + BatchNorm2d + SiLU, "same" padding for odd kernels.
/// Field names (conv, bn, act) give the state-dict keys Ultralytics uses.
/// Export/YoloGraphWriter.cs writes the same forward as ONNX nodes and must follow a change to it.
/// </summary>
public sealed class Conv : nn.Module<Tensor, Tensor>
{
    // BatchNorm settings Ultralytics' initialize_weights applies to every BN layer.
    public const double BnEps = Architecture.BnEps;
    public const double BnMomentum = 0.03;

#pragma warning disable IDE1006 // names mirror Ultralytics' attributes, which become state-dict keys
    readonly Conv2d conv;
    BatchNorm2d? bn;
    readonly SiLU act;
#pragma warning restore IDE1006

    public long InChannels { get; }
    public long OutChannels { get; }
    public long Kernel { get; }
    public long Stride { get; }
    public long Padding { get; }
    public long Groups { get; }
    public bool IsFused => bn is null;

    public Conv2d Conv2d => conv;
    public BatchNorm2d? BatchNorm => bn;

    public Conv(long c1, long c2, long k = 1, long s = 1, long? p = null, long g = 1) : base(nameof(Conv))
    {
        InChannels = c1; OutChannels = c2; Kernel = k; Stride = s; Padding = p ?? k / 2; Groups = g;
        conv = nn.Conv2d(c1, c2, k, stride: s, padding: Padding, groups: g, bias: false);
        bn = nn.BatchNorm2d(c2, eps: BnEps, momentum: BnMomentum);
        act = nn.SiLU();
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var y = conv.forward(x);
        if (bn is not null)
        {
            var z = bn.forward(y);
            y.Dispose();
            y = z;
        }
        // In-place activation saves a full-size copy; only safe when no autograd graph is being recorded.
        if (training || is_grad_enabled())
        {
            var a = nn.functional.silu(y);
            y.Dispose();
            return a;
        }
        return y.silu_();
    }

    /// <summary>Folds BatchNorm into the convolution (<see cref="BatchNormFolding"/>), as Ultralytics' model.fuse() does.</summary>
    public void Fuse()
    {
        if (bn is null) return;
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            var (w, b) = BatchNormFolding.Fold(conv.weight!, bn.weight!, bn.bias!, bn.running_mean!, bn.running_var!, conv.weight!.dtype, bn.eps);
            conv.weight!.copy_(w);
            conv.bias = new Parameter(b.DetachFromDisposeScope(), requires_grad: false);
            conv.weight!.requires_grad_(false);
        }
        _internal_submodules.Remove("bn");
        bn.Dispose();
        bn = null;
    }

    /// <summary>Multiply-accumulates for an h x w input (BatchNorm counted once per output element, as thop does), and the output size.</summary>
    public (long macs, long h, long w) Macs(long h, long w)
    {
        long ho = (h + 2 * Padding - Kernel) / Stride + 1, wo = (w + 2 * Padding - Kernel) / Stride + 1;
        long outEl = OutChannels * ho * wo;
        long macs = outEl * (InChannels / Groups) * Kernel * Kernel + (bn is null ? 0 : outEl);
        return (macs, ho, wo);
    }
}
