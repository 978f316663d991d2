using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Weights;

static class TensorAssert
{
    /// <summary>Same dtype, shape and bytes (bitwise, so -0.0 and 0.0 differ and NaN payloads count).</summary>
    public static bool Bitwise(Tensor a, Tensor b)
    {
        if (a.dtype != b.dtype || !a.shape.SequenceEqual(b.shape)) return false;
        using var ca = a.detach().cpu().contiguous();
        using var cb = b.detach().cpu().contiguous();
        return ca.bytes.SequenceEqual(cb.bytes);
    }
}
