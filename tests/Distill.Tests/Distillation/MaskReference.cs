namespace YoloDistill.Distill.Tests.Distillation;

/// <summary>
/// Independent, deliberately plain FGFI mask: loops over images, boxes, cells and anchors in double precision,
/// following the paper's description word for word.
/// </summary>
static class MaskReference
{
    public static bool[,,] Level(double[][] targets, int batch, int img, int stride, float[] anchors, double psi)
    {
        int g = img / stride, na = anchors.Length / 2;
        var mask = new bool[batch, g, g];
        foreach (var t in targets)
        {
            int b = (int)t[0];
            double x1 = (t[2] - t[4] / 2) * img, y1 = (t[3] - t[5] / 2) * img;
            double x2 = (t[2] + t[4] / 2) * img, y2 = (t[3] + t[5] / 2) * img;
            var iou = new double[g, g, na];
            double best = 0;
            for (int y = 0; y < g; y++)
            for (int x = 0; x < g; x++)
            for (int a = 0; a < na; a++)
            {
                double cx = (x + 0.5) * stride, cy = (y + 0.5) * stride, w = anchors[2 * a], h = anchors[2 * a + 1];
                double ax1 = cx - w / 2, ay1 = cy - h / 2, ax2 = cx + w / 2, ay2 = cy + h / 2;
                double iw = Math.Max(0, Math.Min(x2, ax2) - Math.Max(x1, ax1));
                double ih = Math.Max(0, Math.Min(y2, ay2) - Math.Max(y1, ay1));
                double inter = iw * ih;
                double u = (x2 - x1) * (y2 - y1) + w * h - inter;
                iou[y, x, a] = inter / u;
                best = Math.Max(best, iou[y, x, a]);
            }
            for (int y = 0; y < g; y++)
            for (int x = 0; x < g; x++)
            for (int a = 0; a < na; a++)
                if (iou[y, x, a] > psi * best) mask[b, y, x] = true;
        }
        return mask;
    }
}
