using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Model;

/// <summary>
/// Ultralytics C3: CSP bottleneck with three convolutions; cv1 feeds n Bottlenecks, cv2 is the bypass, cv3 merges.
/// Export/YoloGraphWriter.cs writes the same forward as ONNX nodes and must follow a change to it.
/// </summary>
public sealed class C3 : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    readonly Conv cv1, cv2, cv3;
    readonly Sequential m;
#pragma warning restore IDE1006
    readonly Bottleneck[] blocks;

    public C3(long c1, long c2, int n = 1, bool shortcut = true, long g = 1, double e = 0.5) : base(nameof(C3))
    {
        long c = (long)(c2 * e);
        cv1 = new Conv(c1, c, 1, 1);
        cv2 = new Conv(c1, c, 1, 1);
        cv3 = new Conv(2 * c, c2, 1);
        blocks = Enumerable.Range(0, n).Select(_ => new Bottleneck(c, c, shortcut, g, 1.0)).ToArray();
        m = nn.Sequential(blocks.Select((b, i) => (i.ToString(), (nn.Module<Tensor, Tensor>)b)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var y = cv1.forward(x);
        foreach (var b in blocks)
        {
            var z = b.forward(y);
            y.Dispose();
            y = z;
        }
        using var bypass = cv2.forward(x);
        using var cat = torch.cat([y, bypass], 1);
        y.Dispose();
        return cv3.forward(cat);
    }

    public int Depth => blocks.Length;

    public (long macs, long h, long w) Macs(long h, long w)
    {
        var (macs, _, _) = cv1.Macs(h, w);
        macs += cv2.Macs(h, w).macs;
        foreach (var b in blocks) macs += b.Macs(h, w).macs;
        var (m3, ho, wo) = cv3.Macs(h, w);
        return (macs + m3, ho, wo);
    }
}
