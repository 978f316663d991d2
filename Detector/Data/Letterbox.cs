using OpenCvSharp;
using YoloDistill.Detector.Common;
using Tensor = TorchSharp.torch.Tensor;

namespace YoloDistill.Detector.Data;

/// <summary>A letterboxed image and how it was made: gains (new/old) and the padding added on the left/top (dw, dh).</summary>
public readonly record struct LetterboxResult(Mat Image, double RatioW, double RatioH, double PadW, double PadH);

/// <summary>
/// Ultralytics utils/augmentations.py letterbox: resize keeping aspect ratio (INTER_LINEAR), pad with 114 to the
/// target (or to a stride multiple with <c>auto</c>), splitting the padding as top=round(dh-0.1), bottom=round(dh+0.1)
/// with Python's round-half-to-even, so the pixels equal Ultralytics' to the last bit of the resize.
/// </summary>
public static class Letterbox
{
    public const byte PadValue = 114;

    /// <summary>Returns a new Mat (the caller disposes it); <paramref name="im"/> is left untouched.</summary>
    public static LetterboxResult Apply(Mat im, int newH, int newW, bool auto = true, bool scaleFill = false, bool scaleUp = true, int stride = 32)
    {
        int h = im.Height, w = im.Width;
        double r = Math.Min((double)newH / h, (double)newW / w);
        if (!scaleUp) r = Math.Min(r, 1.0);
        double ratioW = r, ratioH = r;
        int unpadW = (int)Math.Round(w * r), unpadH = (int)Math.Round(h * r);
        double dw = newW - unpadW, dh = newH - unpadH;
        if (auto)
        {
            dw = PositiveMod(dw, stride);
            dh = PositiveMod(dh, stride);
        }
        else if (scaleFill)
        {
            dw = dh = 0;
            unpadW = newW;
            unpadH = newH;
            ratioW = (double)newW / w;
            ratioH = (double)newH / h;
        }
        dw /= 2;
        dh /= 2;
        int top = (int)Math.Round(dh - 0.1), bottom = (int)Math.Round(dh + 0.1);
        int left = (int)Math.Round(dw - 0.1), right = (int)Math.Round(dw + 0.1);
        var output = new Mat();
        if (w != unpadW || h != unpadH)
        {
            using var resized = new Mat();
            Cv2.Resize(im, resized, new Size(unpadW, unpadH), 0, 0, InterpolationFlags.Linear);
            Cv2.CopyMakeBorder(resized, output, top, bottom, left, right, BorderTypes.Constant, Scalar.All(PadValue));
        }
        else
        {
            Cv2.CopyMakeBorder(im, output, top, bottom, left, right, BorderTypes.Constant, Scalar.All(PadValue));
        }
        return new LetterboxResult(output, ratioW, ratioH, dw, dh);
    }

    public static LetterboxResult Apply(Mat im, int size, bool auto = true, bool scaleFill = false, bool scaleUp = true, int stride = 32) =>
        Apply(im, size, size, auto, scaleFill, scaleUp, stride);

    /// <summary>
    /// detect.py / the parity fixtures: read with OpenCV (BGR), letterbox to <paramref name="imgSize"/>, and return
    /// (1,3,H,W) float32 RGB in [0,1] plus the shape record needed to scale boxes back to the original image.
    /// </summary>
    public static (Tensor Input, ImageShape Shape) LoadForInference(string path, int imgSize = 640, bool auto = false, int stride = 32)
    {
        using var im = ImageLoading.Read(path);
        return Preprocess(im, imgSize, auto, stride);
    }

    /// <summary>Letterbox an already decoded BGR image (e.g. a video frame) into a (1,3,H,W) network input.</summary>
    public static (Tensor Input, ImageShape Shape) Preprocess(Mat bgr, int imgSize = 640, bool auto = false, int stride = 32)
    {
        var lb = Apply(bgr, imgSize, imgSize, auto: auto, scaleUp: true, stride: stride);
        using var img = lb.Image;
        var tensor = BatchTensor.FromBgr([img]);
        return (tensor, new ImageShape(bgr.Height, bgr.Width, lb.RatioH, lb.RatioW, lb.PadW, lb.PadH));
    }

    static double PositiveMod(double a, int m) => ((a % m) + m) % m;
}
