using TorchSharp;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Model;

/// <summary>
/// Ultralytics Bottleneck: 1x1 Conv then 3x3 Conv, with a residual add when shapes allow and shortcut is on.
/// Export/YoloGraphWriter.cs writes the same forward as ONNX nodes and must follow a change to it.
/// </summary>
public sealed class Bottleneck : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    readonly Conv cv1, cv2;
#pragma warning restore IDE1006
    readonly bool add;

    public Bottleneck(long c1, long c2, bool shortcut = true, long g = 1, double e = 0.5) : base(nameof(Bottleneck))
    {
        long c = (long)(c2 * e);
        cv1 = new Conv(c1, c, 1, 1);
        cv2 = new Conv(c, c2, 3, 1, g: g);
        add = shortcut && c1 == c2;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var a = cv1.forward(x);
        var b = cv2.forward(a);
        if (!add) return b;
        // Without autograd the branch output is ours alone, so the residual is added in place.
        if (!training && !is_grad_enabled()) return b.add_(x);
        var s = x + b;
        b.Dispose();
        return s;
    }

    internal IEnumerable<Conv> Convs => [cv1, cv2];

    public (long macs, long h, long w) Macs(long h, long w)
    {
        var (m1, h1, w1) = cv1.Macs(h, w);
        var (m2, h2, w2) = cv2.Macs(h1, w1);
        return (m1 + m2, h2, w2);
    }
}
