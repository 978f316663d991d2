using OpenCvSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Data;

/// <summary>HWC uint8 BGR images -> one NCHW float32 RGB [0,1] tensor, converted by tensor ops over the whole batch.</summary>
public static class BatchTensor
{
    /// <summary>All images must share one size and be 8-bit 3-channel.</summary>
    public static Tensor FromBgr(IReadOnlyList<Mat> images)
    {
        if (images.Count == 0) throw new ArgumentException("no images to batch");
        int h = images[0].Height, w = images[0].Width;
        long plane = (long)h * w * 3;
        using var u8 = torch.empty([images.Count, h, w, 3], ScalarType.Byte);
        using (var dst = u8.data<byte>())
        {
            for (int i = 0; i < images.Count; i++)
            {
                var m = images[i];
                if (m.Height != h || m.Width != w || m.Type() != MatType.CV_8UC3)
                    throw new ArgumentException($"batch image {i} is {m.Width}x{m.Height} {m.Type()}, expected {w}x{h} CV_8UC3");
                using var owned = m.IsContinuous() ? null : m.Clone();
                var src = owned ?? m;
                unsafe
                {
                    // straight from OpenCV's buffer into the tensor: the only copy before the float conversion
                    dst.CopyFrom(new ReadOnlySpan<byte>((void*)src.Data, (int)plane), 0, i * plane);
                }
            }
        }
        var output = torch.empty([images.Count, 3, h, w], ScalarType.Float32);
        // BGR -> RGB while going HWC -> CHW: channel c of the output is channel 2-c of the input.
        for (int c = 0; c < 3; c++)
        {
            using var dst = output.select(1, c);
            using var src = u8.select(3, 2 - c);
            DisposeIfNew(dst.copy_(src), dst);
        }
        DisposeIfNew(output.div_(255f), output);
        return output;
    }

    // An in-place op's return value must not keep an extra handle on the batch storage alive until finalization.
    static void DisposeIfNew(Tensor result, Tensor self)
    {
        if (!ReferenceEquals(result, self)) result.Dispose();
    }
}
