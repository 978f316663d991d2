using System.Globalization;
using OpenCvSharp;

namespace YoloDistill.Detector.Inference;

/// <summary>
/// Draws detections as Ultralytics' Annotator does: its 20-colour palette by class, line width from the image
/// size, a filled label "name 0.87" above the box (inside it when there is no room above).
/// </summary>
public static class Annotator
{
    static readonly string[] Hex =
    [
        "FF3838", "FF9D97", "FF701F", "FFB21D", "CFD231", "48F90A", "92CC17", "3DDB86", "1A9334", "00D4BB",
        "2C99A8", "00C2FF", "344593", "6473FF", "0018EC", "8438FF", "520085", "CB38FF", "FF95C8", "FF37C7",
    ];

    static readonly Scalar[] Palette = Hex.Select(h => new Scalar(
        Convert.ToInt32(h[4..6], 16), Convert.ToInt32(h[2..4], 16), Convert.ToInt32(h[0..2], 16))).ToArray();

    /// <summary>BGR colour of a class.</summary>
    public static Scalar ColorOf(int classId) => Palette[((classId % Palette.Length) + Palette.Length) % Palette.Length];

    public static int LineWidth(Mat im) => Math.Max((int)Math.Round((im.Rows + im.Cols + im.Channels()) / 2.0 * 0.003, MidpointRounding.ToEven), 2);

    public static void Draw(Mat im, IEnumerable<Detection> detections)
    {
        int lw = LineWidth(im);
        int tf = Math.Max(lw - 1, 1);
        double scale = lw / 3.0;
        foreach (var d in detections)
        {
            var color = ColorOf(d.ClassId);
            var p1 = new Point((int)d.X1, (int)d.Y1);
            var p2 = new Point((int)d.X2, (int)d.Y2);
            Cv2.Rectangle(im, p1, p2, color, lw, LineTypes.AntiAlias);
            var label = $"{d.ClassName} {d.Confidence.ToString("0.00", CultureInfo.InvariantCulture)}";
            var size = Cv2.GetTextSize(label, HersheyFonts.HersheySimplex, scale, tf, out _);
            bool outside = p1.Y - size.Height >= 3;
            var q2 = new Point(p1.X + size.Width, outside ? p1.Y - size.Height - 3 : p1.Y + size.Height + 3);
            Cv2.Rectangle(im, p1, q2, color, -1, LineTypes.AntiAlias);
            Cv2.PutText(im, label, new Point(p1.X, outside ? p1.Y - 2 : p1.Y + size.Height + 2), HersheyFonts.HersheySimplex,
                scale, new Scalar(255, 255, 255), tf, LineTypes.AntiAlias);
        }
    }

    /// <summary>Frames-per-second in the top-left corner of a video frame.</summary>
    public static void DrawFps(Mat im, double fps)
    {
        int lw = LineWidth(im);
        var text = $"{fps.ToString("0.0", CultureInfo.InvariantCulture)} FPS";
        var org = new Point(lw * 4, lw * 12);
        Cv2.PutText(im, text, org, HersheyFonts.HersheySimplex, lw / 2.0, new Scalar(0, 0, 0), lw + 2, LineTypes.AntiAlias);
        Cv2.PutText(im, text, org, HersheyFonts.HersheySimplex, lw / 2.0, new Scalar(255, 255, 255), lw, LineTypes.AntiAlias);
    }
}
