using OpenCvSharp;

namespace YoloDistill.Detector.Data.Augment;

/// <summary>
/// Ultralytics augment_hsv: gains r = uniform(-1,1,3)·[h,s,v] + 1 applied through lookup tables in OpenCV's HSV
/// (hue mod 180, saturation and value clipped to 255, truncated to uint8), in place on a BGR image.
/// </summary>
public static class HsvAugment
{
    public static void Apply(Mat bgr, SampleRng rng, double hgain, double sgain, double vgain)
    {
        if (hgain == 0 && sgain == 0 && vgain == 0) return;
        double rh = rng.Uniform(-1, 1) * hgain + 1, rs = rng.Uniform(-1, 1) * sgain + 1, rv = rng.Uniform(-1, 1) * vgain + 1;
        var lh = new byte[256];
        var ls = new byte[256];
        var lv = new byte[256];
        for (int x = 0; x < 256; x++)
        {
            lh[x] = (byte)(int)PyMod(x * rh, 180);
            ls[x] = (byte)(int)Math.Clamp(x * rs, 0, 255);
            lv[x] = (byte)(int)Math.Clamp(x * rv, 0, 255);
        }
        using var hsv = new Mat();
        Cv2.CvtColor(bgr, hsv, ColorConversionCodes.BGR2HSV);
        var ch = Cv2.Split(hsv);
        try
        {
            using var tH = Mat.FromPixelData(1, 256, MatType.CV_8UC1, lh);
            using var tS = Mat.FromPixelData(1, 256, MatType.CV_8UC1, ls);
            using var tV = Mat.FromPixelData(1, 256, MatType.CV_8UC1, lv);
            Cv2.LUT(ch[0], tH, ch[0]);
            Cv2.LUT(ch[1], tS, ch[1]);
            Cv2.LUT(ch[2], tV, ch[2]);
            Cv2.Merge(ch, hsv);
        }
        finally
        {
            foreach (var c in ch) c.Dispose();
        }
        Cv2.CvtColor(hsv, bgr, ColorConversionCodes.HSV2BGR);
    }

    static double PyMod(double a, double m) => a - m * Math.Floor(a / m);
}
