namespace YoloDistill.Detector.Data;

/// <summary>
/// The checks every importer applies to a box before it enters a COCO split, as Ultralytics' label check
/// (utils/dataloaders.py verify_image_label) does for YOLO labels: non-positive sizes and coordinates outside the
/// image are faults, exact repeats are duplicates. Pixel formats (VOC, COCO) get 1 px of slack, which labelling tools'
/// rounding needs, and are then clipped to the image.
/// </summary>
public static class LabelRules
{
    /// <summary>How far (pixels) a VOC or COCO box may reach past the image before it counts as out of range.</summary>
    public const double PixelSlack = 1.0;

    /// <summary>A pixel box [x, y, w, h] in an image of width × height: the clipped box, or the fault and why.</summary>
    public static (double X, double Y, double W, double H, LabelFaultKind? Fault, string Detail) CheckPixelBox(
        double x, double y, double w, double h, int width, int height)
    {
        if (!double.IsFinite(x) || !double.IsFinite(y) || !double.IsFinite(w) || !double.IsFinite(h))
            return (x, y, w, h, LabelFaultKind.Malformed, "a coordinate is not a finite number");
        if (w <= 0 || h <= 0)
            return (x, y, w, h, LabelFaultKind.Degenerate, $"zero-size box {Fmt(w)}x{Fmt(h)}");
        if (x < -PixelSlack || y < -PixelSlack || x + w > width + PixelSlack || y + h > height + PixelSlack)
            return (x, y, w, h, LabelFaultKind.OutOfRange,
                $"box [{Fmt(x)}, {Fmt(y)}, {Fmt(x + w)}, {Fmt(y + h)}] is outside the {width}x{height} image");
        double x1 = Math.Clamp(x, 0, width), y1 = Math.Clamp(y, 0, height);
        double x2 = Math.Clamp(x + w, 0, width), y2 = Math.Clamp(y + h, 0, height);
        if (x2 <= x1 || y2 <= y1)
            return (x, y, w, h, LabelFaultKind.Degenerate, "zero-size box once clipped to the image");
        return (x1, y1, x2 - x1, y2 - y1, null, "");
    }

    static string Fmt(double v) => v.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
}
