using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Model;

/// <summary>
/// Ultralytics SPPF: spatial pyramid pooling by three chained 5x5 max-pools (equivalent to SPP 5/9/13, faster).
/// Export/YoloGraphWriter.cs writes the same forward as ONNX nodes and must follow a change to it.
/// </summary>
public sealed class SPPF : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    readonly Conv cv1, cv2;
    readonly MaxPool2d m;
#pragma warning restore IDE1006

    public SPPF(long c1, long c2, long k = 5) : base(nameof(SPPF))
    {
        long c = c1 / 2;
        cv1 = new Conv(c1, c, 1, 1);
        cv2 = new Conv(c * 4, c2, 1, 1);
        m = nn.MaxPool2d(k, stride: 1, padding: k / 2);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var a = cv1.forward(x);
        using var y1 = m.forward(a);
        using var y2 = m.forward(y1);
        using var y3 = m.forward(y2);
        using var cat = torch.cat([a, y1, y2, y3], 1);
        return cv2.forward(cat);
    }

    public (long macs, long h, long w) Macs(long h, long w)
    {
        var (m1, _, _) = cv1.Macs(h, w);
        var (m2, ho, wo) = cv2.Macs(h, w);
        return (m1 + m2, ho, wo);
    }
}
