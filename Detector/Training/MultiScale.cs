using YoloDistill.Detector.Data;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Training;

/// <summary>train.py --multi-scale: each batch is resized to a random size in [0.5, 1.5] x img.</summary>
internal static class MultiScale
{
    const int Stride = 32;

    /// <summary>
    /// The image size of batch <paramref name="ni"/>, rounded down to a stride multiple, drawn from (seed, ni) alone so
    /// that runs repeat and resume exactly in any process.
    /// </summary>
    public static int Size(int seed, long ni, int imgSize, int stride = Stride)
    {
        var rng = new SampleRng(seed, ni, 0x5ca1e);
        int lo = (int)(imgSize * 0.5), hi = (int)(imgSize * 1.5) + stride;
        return (lo + rng.NextInt(hi - lo)) / stride * stride;
    }

    /// <summary>The batch resized (bilinear) so its longer side is batch <paramref name="ni"/>'s size, both sides stride multiples.</summary>
    public static Tensor Resize(Tensor imgs, int seed, long ni, int imgSize)
    {
        int sz = Size(seed, ni, imgSize, Stride);
        double sf = sz / (double)Math.Max(imgs.shape[2], imgs.shape[3]);
        if (sf == 1) return imgs;
        var ns = new[] { (long)Math.Ceiling(imgs.shape[2] * sf / Stride) * Stride, (long)Math.Ceiling(imgs.shape[3] * sf / Stride) * Stride };
        return nn.functional.interpolate(imgs, ns, mode: InterpolationMode.Bilinear, align_corners: false);
    }
}
