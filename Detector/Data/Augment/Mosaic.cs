using OpenCvSharp;

namespace YoloDistill.Detector.Data.Augment;

/// <summary>
/// Ultralytics load_mosaic (4 images): centre (xc, yc) uniform in [s/2, 1.5·s], the four images placed around it on a
/// 2s×2s canvas of 114, boxes shifted with them and clipped to the canvas. The caller then applies
/// random_perspective with border -s/2 to bring it back to s×s.
/// </summary>
public static class Mosaic
{
    /// <summary>
    /// <c>images</c>: four resized BGR images (long side s) in placement order top-left, top-right, bottom-left,
    /// bottom-right; <c>labels</c>: their boxes in pixels of those images; (xc, yc): the mosaic centre.
    /// Returns the 2s×2s canvas (caller disposes) and the shifted, clipped boxes.
    /// </summary>
    public static Mat Build(int s, IReadOnlyList<Mat> images, IReadOnlyList<IReadOnlyList<BoxLabel>> labels, int xc, int yc, out List<BoxLabel> output)
    {
        var canvas = new Mat(s * 2, s * 2, MatType.CV_8UC3, Scalar.All(114));
        output = [];
        for (int i = 0; i < 4; i++)
        {
            var img = images[i];
            int h = img.Height, w = img.Width;
            int x1a, y1a, x2a, y2a, x1b, y1b, x2b, y2b;
            switch (i)
            {
                case 0:
                    (x1a, y1a, x2a, y2a) = (Math.Max(xc - w, 0), Math.Max(yc - h, 0), xc, yc);
                    (x1b, y1b, x2b, y2b) = (w - (x2a - x1a), h - (y2a - y1a), w, h);
                    break;
                case 1:
                    (x1a, y1a, x2a, y2a) = (xc, Math.Max(yc - h, 0), Math.Min(xc + w, s * 2), yc);
                    (x1b, y1b, x2b, y2b) = (0, h - (y2a - y1a), Math.Min(w, x2a - x1a), h);
                    break;
                case 2:
                    (x1a, y1a, x2a, y2a) = (Math.Max(xc - w, 0), yc, xc, Math.Min(s * 2, yc + h));
                    (x1b, y1b, x2b, y2b) = (w - (x2a - x1a), 0, w, Math.Min(y2a - y1a, h));
                    break;
                default:
                    (x1a, y1a, x2a, y2a) = (xc, yc, Math.Min(xc + w, s * 2), Math.Min(s * 2, yc + h));
                    (x1b, y1b, x2b, y2b) = (0, 0, Math.Min(w, x2a - x1a), Math.Min(y2a - y1a, h));
                    break;
            }
            if (x2a > x1a && y2a > y1a)
            {
                using var src = new Mat(img, new Rect(x1b, y1b, x2b - x1b, y2b - y1b));
                using var dst = new Mat(canvas, new Rect(x1a, y1a, x2a - x1a, y2a - y1a));
                src.CopyTo(dst);
            }
            int padw = x1a - x1b, padh = y1a - y1b;
            float lim = 2 * s;
            foreach (var b in labels[i])
                output.Add(new BoxLabel(b.Class,
                    Math.Clamp(b.X1 + padw, 0, lim), Math.Clamp(b.Y1 + padh, 0, lim),
                    Math.Clamp(b.X2 + padw, 0, lim), Math.Clamp(b.Y2 + padh, 0, lim)));
        }
        return canvas;
    }
}
