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
        // one interleaved 3-channel table: cv2.LUT applies channel k of the table to channel k of the image
        var lut = new byte[256 * 3];
        for (int x = 0; x < 256; x++)
        {
            lut[x * 3] = (byte)(int)PyMod(x * rh, 180);
            lut[x * 3 + 1] = (byte)(int)Math.Clamp(x * rs, 0, 255);
            lut[x * 3 + 2] = (byte)(int)Math.Clamp(x * rv, 0, 255);
        }
        using var hsv = new Mat();
        Cv2.CvtColor(bgr, hsv, ColorConversionCodes.BGR2HSV);
        using (var table = Mat.FromPixelData(1, 256, MatType.CV_8UC3, lut))
            Cv2.LUT(hsv, table, hsv);
        Cv2.CvtColor(hsv, bgr, ColorConversionCodes.HSV2BGR);
    }

    static double PyMod(double a, double m) => a - m * Math.Floor(a / m);
}
