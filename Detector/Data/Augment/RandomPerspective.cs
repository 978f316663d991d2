using OpenCvSharp;

namespace YoloDistill.Detector.Data.Augment;

/// <summary>
/// Ultralytics random_perspective: M = T·S·R·P·C (centre, perspective, rotation+scale, shear, translation),
/// warpAffine/warpPerspective with border 114, boxes moved through their four corners, clipped, and filtered by
/// box_candidates (wh_thr 2 px, aspect ratio &lt; 100, area kept &gt; 10 %).
/// </summary>
public static class RandomPerspective
{
    /// <summary>
    /// Returns the warped image (a new Mat, or <paramref name="im"/> itself when the transform is the identity) and the surviving boxes.
    /// <paramref name="border"/> is (rows, cols) added on each side: -img/2 for a 2·img mosaic canvas gives an img-sized output.
    /// </summary>
    public static Mat Apply(Mat im, List<BoxLabel> targets, SampleRng rng, double degrees, double translate, double scale,
        double shear, double perspective, (int Rows, int Cols) border, out List<BoxLabel> output)
    {
        int height = im.Height + border.Rows * 2, width = im.Width + border.Cols * 2;
        var C = Identity();
        C[0, 2] = -im.Width / 2.0;
        C[1, 2] = -im.Height / 2.0;
        var P = Identity();
        P[2, 0] = rng.Uniform(-perspective, perspective);
        P[2, 1] = rng.Uniform(-perspective, perspective);
        var R = Identity();
        double a = rng.Uniform(-degrees, degrees);
        double s = rng.Uniform(1 - scale, 1 + scale);
        // cv2.getRotationMatrix2D(center=(0,0), angle=a, scale=s)
        double alpha = s * Math.Cos(a * Math.PI / 180), beta = s * Math.Sin(a * Math.PI / 180);
        R[0, 0] = alpha; R[0, 1] = beta;
        R[1, 0] = -beta; R[1, 1] = alpha;
        var S = Identity();
        S[0, 1] = Math.Tan(rng.Uniform(-shear, shear) * Math.PI / 180);
        S[1, 0] = Math.Tan(rng.Uniform(-shear, shear) * Math.PI / 180);
        var T = Identity();
        T[0, 2] = rng.Uniform(0.5 - translate, 0.5 + translate) * width;
        T[1, 2] = rng.Uniform(0.5 - translate, 0.5 + translate) * height;
        var M = Mul(T, Mul(S, Mul(R, Mul(P, C))));

        var result = im;
        if (border.Rows != 0 || border.Cols != 0 || !IsIdentity(M))
        {
            result = new Mat();
            if (perspective != 0)
            {
                using var m = Mat.FromPixelData(3, 3, MatType.CV_64FC1, Flatten(M, 3));
                Cv2.WarpPerspective(im, result, m, new Size(width, height), InterpolationFlags.Linear, BorderTypes.Constant, Scalar.All(114));
            }
            else
            {
                using var m = Mat.FromPixelData(2, 3, MatType.CV_64FC1, Flatten(M, 2));
                Cv2.WarpAffine(im, result, m, new Size(width, height), InterpolationFlags.Linear, BorderTypes.Constant, Scalar.All(114));
            }
        }

        output = new List<BoxLabel>(targets.Count);
        Span<double> xs = stackalloc double[4], ys = stackalloc double[4];
        foreach (var t in targets)
        {
            // corners x1y1, x2y2, x1y2, x2y1 as Ultralytics orders them
            Corner(M, t.X1, t.Y1, perspective != 0, out xs[0], out ys[0]);
            Corner(M, t.X2, t.Y2, perspective != 0, out xs[1], out ys[1]);
            Corner(M, t.X1, t.Y2, perspective != 0, out xs[2], out ys[2]);
            Corner(M, t.X2, t.Y1, perspective != 0, out xs[3], out ys[3]);
            double nx1 = Math.Clamp(Min(xs), 0, width), nx2 = Math.Clamp(Max(xs), 0, width);
            double ny1 = Math.Clamp(Min(ys), 0, height), ny2 = Math.Clamp(Max(ys), 0, height);
            if (BoxCandidate(t.Width * s, t.Height * s, nx2 - nx1, ny2 - ny1))
                output.Add(new BoxLabel(t.Class, (float)nx1, (float)ny1, (float)nx2, (float)ny2));
        }
        return result;
    }

    /// <summary>box_candidates(box1 scaled by s, box2, wh_thr=2, ar_thr=100, area_thr=0.1, eps=1e-16).</summary>
    public static bool BoxCandidate(double w1, double h1, double w2, double h2, double whThr = 2, double arThr = 100, double areaThr = 0.1)
    {
        const double eps = 1e-16;
        double ar = Math.Max(w2 / (h2 + eps), h2 / (w2 + eps));
        return w2 > whThr && h2 > whThr && w2 * h2 / (w1 * h1 + eps) > areaThr && ar < arThr;
    }

    static void Corner(double[,] M, double x, double y, bool persp, out double ox, out double oy)
    {
        ox = M[0, 0] * x + M[0, 1] * y + M[0, 2];
        oy = M[1, 0] * x + M[1, 1] * y + M[1, 2];
        if (persp)
        {
            double z = M[2, 0] * x + M[2, 1] * y + M[2, 2];
            ox /= z;
            oy /= z;
        }
    }

    static double Min(Span<double> v) => Math.Min(Math.Min(v[0], v[1]), Math.Min(v[2], v[3]));
    static double Max(Span<double> v) => Math.Max(Math.Max(v[0], v[1]), Math.Max(v[2], v[3]));

    static double[,] Identity() => new double[,] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };

    static double[,] Mul(double[,] a, double[,] b)
    {
        var r = new double[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                r[i, j] = a[i, 0] * b[0, j] + a[i, 1] * b[1, j] + a[i, 2] * b[2, j];
        return r;
    }

    static bool IsIdentity(double[,] m)
    {
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                if (m[i, j] != (i == j ? 1 : 0)) return false;
        return true;
    }

    static double[] Flatten(double[,] m, int rows)
    {
        var r = new double[rows * 3];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < 3; j++) r[i * 3 + j] = m[i, j];
        return r;
    }
}
