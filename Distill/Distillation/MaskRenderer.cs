using OpenCvSharp;

namespace YoloDistill.Distill.Distillation;

/// <summary>
/// Picture of an image's imitation masks: one panel per level (P3, P4, P5) side by side, the on cells tinted over the
/// letterboxed image, the level's grid size in the corner and the ground-truth boxes drawn on every panel.
/// </summary>
public static class MaskRenderer
{
    static readonly Scalar[] LevelColours = [new(0, 0, 255), new(0, 200, 0), new(255, 80, 0)]; // BGR: red, green, blue
    static readonly Scalar BoxColour = new(0, 255, 255);

    /// <param name="bgr">The network input as a BGR image.</param>
    /// <param name="masks">Per level, the mask as H×W bytes (row-major, 0 = off) and its grid size.</param>
    /// <param name="boxesXyxy">Boxes in the input frame, pixels.</param>
    /// <param name="levelNames">Panel titles, e.g. P3, P4, P5.</param>
    public static Mat Render(Mat bgr, IReadOnlyList<(byte[] Cells, int H, int W)> masks, IReadOnlyList<(float X1, float Y1, float X2, float Y2)> boxesXyxy,
        IReadOnlyList<string> levelNames)
    {
        var panels = new List<Mat>();
        try
        {
            for (int l = 0; l < masks.Count; l++)
            {
                var (cells, h, w) = masks[l];
                using var small = Mat.FromPixelData(h, w, MatType.CV_8UC1, cells);
                using var onSmall = new Mat();
                Cv2.Threshold(small, onSmall, 0, 255, ThresholdTypes.Binary);
                using var big = new Mat();
                Cv2.Resize(onSmall, big, new Size(bgr.Width, bgr.Height), 0, 0, InterpolationFlags.Nearest);
                using var tinted = bgr.Clone();
                tinted.SetTo(LevelColours[l % LevelColours.Length], big);
                var panel = new Mat();
                Cv2.AddWeighted(bgr, 0.55, tinted, 0.45, 0, panel);
                foreach (var (x1, y1, x2, y2) in boxesXyxy)
                    Cv2.Rectangle(panel, new Point((int)Math.Round(x1), (int)Math.Round(y1)), new Point((int)Math.Round(x2), (int)Math.Round(y2)), BoxColour, 1);
                var title = $"{(l < levelNames.Count ? levelNames[l] : $"L{l}")} {w}x{h}";
                Cv2.PutText(panel, title, new Point(4, 16), HersheyFonts.HersheySimplex, 0.5, Scalar.Black, 3, LineTypes.AntiAlias);
                Cv2.PutText(panel, title, new Point(4, 16), HersheyFonts.HersheySimplex, 0.5, Scalar.White, 1, LineTypes.AntiAlias);
                panels.Add(panel);
            }
            var result = new Mat();
            Cv2.HConcat(panels.ToArray(), result);
            return result;
        }
        finally
        {
            foreach (var p in panels) p.Dispose();
        }
    }
}
