using OpenCvSharp;

namespace YoloDistill.Detector.Data;

public enum SynthShape { Circle, Square, Triangle, Ellipse, Cross, Ring }

/// <summary>A synthetic class: it takes both shape and colour to tell classes apart (each shape comes in two or more colours and each colour in two or more shapes).</summary>
public sealed record SynthClass(string Name, SynthShape Shape, Scalar Bgr);

/// <summary>One drawn object; <see cref="Class"/> is -1 for a distractor (wrong colour or wrong shape).</summary>
public readonly record struct SynthObject(int Class, SynthShape Shape, Scalar Bgr, double Cx, double Cy, double Size, double Angle);

/// <summary>
/// The synthetic scenes shared by <see cref="SynthDataset"/> and <see cref="SynthVideo"/>: coloured shapes from ~8 px to
/// about half the image, distractors (class shapes in other colours, other shapes in class colours), partial
/// occlusion, textured noisy backgrounds. Which shape-colour pairs are classes is the <see cref="SynthDomain"/>'s;
/// all randomness comes from a <see cref="SampleRng"/>.
/// </summary>
public static class SynthScene
{
    internal static readonly Scalar Red = new(40, 35, 215), Green = new(45, 185, 50), Blue = new(215, 85, 35);

    /// <summary>The classes of the default (target) domain, <see cref="SynthDomain.Shapes"/>.</summary>
    public static IReadOnlyList<SynthClass> Classes => SynthDomain.Shapes.Classes;

    internal static readonly Scalar[] DistractorColours =
        [new(40, 215, 225), new(210, 40, 210), new(220, 215, 40), new(235, 235, 235), new(30, 140, 250), new(130, 40, 110)];

    /// <summary>Smooth coloured noise at two scales, faint strokes, and per-pixel grain.</summary>
    public static Mat Background(int width, int height, SampleRng rng)
    {
        var baseColour = new double[] { rng.Uniform(50, 190), rng.Uniform(50, 190), rng.Uniform(50, 190) };
        var acc = new float[width * height * 3];
        foreach (var (cells, amp) in new[] { (4, 45.0), (16, 25.0) })
        {
            int gw = cells, gh = Math.Max(2, cells * height / width);
            var grid = new float[gw * gh * 3];
            for (int i = 0; i < grid.Length; i++) grid[i] = (float)rng.Uniform(-amp, amp);
            using var small = Mat.FromPixelData(gh, gw, MatType.CV_32FC3, grid);
            using var big = new Mat();
            Cv2.Resize(small, big, new Size(width, height), 0, 0, InterpolationFlags.Cubic);
            big.GetArray(out Vec3f[] px);
            for (int i = 0; i < px.Length; i++)
            {
                acc[i * 3] += px[i].Item0;
                acc[i * 3 + 1] += px[i].Item1;
                acc[i * 3 + 2] += px[i].Item2;
            }
        }
        var bytes = new byte[acc.Length];
        for (int i = 0; i < acc.Length; i++)
            bytes[i] = (byte)Math.Clamp(baseColour[i % 3] + acc[i] + rng.Uniform(-12, 12), 0, 255);
        var m = new Mat(height, width, MatType.CV_8UC3);
        System.Runtime.InteropServices.Marshal.Copy(bytes, 0, m.Data, bytes.Length);
        int strokes = 4 + rng.NextInt(10);
        for (int k = 0; k < strokes; k++)
        {
            var p1 = new Point(rng.NextInt(width), rng.NextInt(height));
            var p2 = new Point(rng.NextInt(width), rng.NextInt(height));
            double d = rng.Uniform(-35, 35);
            var c = new Scalar(Math.Clamp(baseColour[0] + d, 0, 255), Math.Clamp(baseColour[1] + d, 0, 255), Math.Clamp(baseColour[2] + d, 0, 255));
            Cv2.Line(m, p1, p2, c, 1 + rng.NextInt(3), LineTypes.AntiAlias);
        }
        return m;
    }

    /// <summary>Draws the object and returns its tight box (x1, y1, x2, y2), clipped to the canvas.</summary>
    public static (double X1, double Y1, double X2, double Y2) Draw(Mat canvas, SynthObject o)
    {
        double r = o.Size / 2;
        Point[] pts;
        switch (o.Shape)
        {
            case SynthShape.Circle:
                Cv2.Circle(canvas, new Point((int)Math.Round(o.Cx), (int)Math.Round(o.Cy)), (int)Math.Round(r), o.Bgr, -1, LineTypes.AntiAlias);
                return Clip(canvas, Math.Round(o.Cx) - Math.Round(r), Math.Round(o.Cy) - Math.Round(r), Math.Round(o.Cx) + Math.Round(r) + 1, Math.Round(o.Cy) + Math.Round(r) + 1);
            case SynthShape.Ring:
                int th = Math.Max(1, (int)(r / 4));
                Cv2.Circle(canvas, new Point((int)Math.Round(o.Cx), (int)Math.Round(o.Cy)), (int)Math.Round(r), o.Bgr, th, LineTypes.AntiAlias);
                return Clip(canvas, o.Cx - r - th, o.Cy - r - th, o.Cx + r + th, o.Cy + r + th);
            case SynthShape.Square:
                pts = Polygon(o, 4, Math.Sqrt(2) * r, Math.PI / 4);
                break;
            case SynthShape.Triangle:
                pts = Polygon(o, 3, r * 1.15, -Math.PI / 2);
                break;
            case SynthShape.Ellipse:
                Cv2.Ellipse(canvas, new Point((int)o.Cx, (int)o.Cy), new Size((int)r, Math.Max(2, (int)(r / 3))), o.Angle * 180 / Math.PI, 0, 360, o.Bgr, -1, LineTypes.AntiAlias);
                return Clip(canvas, o.Cx - r, o.Cy - r, o.Cx + r, o.Cy + r);
            default: // cross
                int t = Math.Max(2, (int)(r / 3));
                Cv2.Line(canvas, new Point((int)(o.Cx - r), (int)o.Cy), new Point((int)(o.Cx + r), (int)o.Cy), o.Bgr, t);
                Cv2.Line(canvas, new Point((int)o.Cx, (int)(o.Cy - r)), new Point((int)o.Cx, (int)(o.Cy + r)), o.Bgr, t);
                return Clip(canvas, o.Cx - r, o.Cy - r, o.Cx + r, o.Cy + r);
        }
        Cv2.FillConvexPoly(canvas, pts, o.Bgr, LineTypes.AntiAlias);
        return Clip(canvas, pts.Min(p => p.X), pts.Min(p => p.Y), pts.Max(p => p.X) + 1, pts.Max(p => p.Y) + 1);
    }

    static Point[] Polygon(SynthObject o, int n, double radius, double phase)
    {
        var pts = new Point[n];
        for (int k = 0; k < n; k++)
        {
            double a = phase + o.Angle + 2 * Math.PI * k / n;
            pts[k] = new Point((int)Math.Round(o.Cx + radius * Math.Cos(a)), (int)Math.Round(o.Cy + radius * Math.Sin(a)));
        }
        return pts;
    }

    static (double, double, double, double) Clip(Mat c, double x1, double y1, double x2, double y2) =>
        (Math.Clamp(x1, 0, c.Width), Math.Clamp(y1, 0, c.Height), Math.Clamp(x2, 0, c.Width), Math.Clamp(y2, 0, c.Height));

    /// <summary>A random class object or distractor of <paramref name="domain"/> (default <see cref="SynthDomain.Shapes"/>) fully inside a width×height canvas.</summary>
    public static SynthObject RandomObject(int width, int height, SampleRng rng, bool distractor, SynthDomain? domain = null)
    {
        domain ??= SynthDomain.Shapes;
        double maxSize = 0.45 * Math.Min(width, height);
        double size = Math.Exp(rng.Uniform(Math.Log(8), Math.Log(maxSize)));
        double cx = rng.Uniform(size / 2 + 1, width - size / 2 - 1), cy = rng.Uniform(size / 2 + 1, height - size / 2 - 1);
        double angle = rng.Uniform(-0.35, 0.35);
        var classes = domain.Classes;
        if (!distractor)
        {
            int cls = rng.NextInt(classes.Count);
            return new SynthObject(cls, classes[cls].Shape, Jitter(classes[cls].Bgr, rng), cx, cy, size, angle);
        }
        if (domain != SynthDomain.Shapes) return DomainDistractor(domain, cx, cy, size, rng);
        if (rng.NextDouble() < 0.5)
        {
            // a class shape in a colour no class has
            var shape = (SynthShape)rng.NextInt(3);
            return new SynthObject(-1, shape, Jitter(DistractorColours[rng.NextInt(DistractorColours.Length)], rng), cx, cy, size, angle);
        }
        // a non-class shape, often in a class colour, or the missing green square
        if (rng.NextDouble() < 0.2)
            return new SynthObject(-1, SynthShape.Square, Jitter(Green, rng), cx, cy, size, angle);
        var other = (SynthShape)(3 + rng.NextInt(3));
        var colour = rng.NextDouble() < 0.7 ? classes[rng.NextInt(classes.Count)].Bgr : DistractorColours[rng.NextInt(DistractorColours.Length)];
        return new SynthObject(-1, other, Jitter(colour, rng), cx, cy, size, rng.Uniform(0, Math.PI));
    }

    /// <summary>Any shape in any of the domain's colours that is not one of its classes.</summary>
    static SynthObject DomainDistractor(SynthDomain domain, double cx, double cy, double size, SampleRng rng)
    {
        var colours = domain.DistractorColours;
        for (int attempt = 0; ; attempt++)
        {
            var shape = (SynthShape)rng.NextInt(6);
            var colour = colours[rng.NextInt(colours.Count)];
            if (attempt < 20 && domain.Classes.Any(c => c.Shape == shape && c.Bgr == colour)) continue;
            return new SynthObject(-1, shape, Jitter(colour, rng), cx, cy, size, rng.Uniform(-0.35, 0.35));
        }
    }

    static Scalar Jitter(Scalar c, SampleRng rng) => new(
        Math.Clamp(c.Val0 + rng.Uniform(-25, 25), 0, 255), Math.Clamp(c.Val1 + rng.Uniform(-25, 25), 0, 255), Math.Clamp(c.Val2 + rng.Uniform(-25, 25), 0, 255));

    /// <summary>
    /// A full scene: background, distractors behind, class objects, a few distractors in front. Objects may
    /// overlap, but never hide more than 40 % of an earlier class object's box.
    /// Returns the image and the class objects' boxes (x1, y1, x2, y2).
    /// </summary>
    public static (Mat Image, List<(int Class, double X1, double Y1, double X2, double Y2)> Boxes) Random(int width, int height, SampleRng rng,
        SynthDomain? domain = null)
    {
        var img = Background(width, height, rng);
        var boxes = new List<(int, double, double, double, double)>();
        int behind = rng.NextInt(4), objects = rng.NextDouble() < 0.05 ? 0 : 1 + rng.NextInt(7), front = rng.NextInt(3);
        for (int k = 0; k < behind; k++) Draw(img, RandomObject(width, height, rng, distractor: true, domain));
        for (int k = 0; k < objects + front; k++)
        {
            bool distractor = k >= objects;
            for (int attempt = 0; attempt < 10; attempt++)
            {
                var o = RandomObject(width, height, rng, distractor, domain);
                var r = o.Size / 2;
                if (boxes.Any(b => Occludes((o.Cx - r, o.Cy - r, o.Cx + r, o.Cy + r), (b.Item2, b.Item3, b.Item4, b.Item5)))) continue;
                var box = Draw(img, o);
                if (!distractor && box.X2 - box.X1 >= 2 && box.Y2 - box.Y1 >= 2) boxes.Add((o.Class, box.X1, box.Y1, box.X2, box.Y2));
                break;
            }
        }
        return (img, boxes);
    }

    static bool Occludes((double X1, double Y1, double X2, double Y2) a, (double X1, double Y1, double X2, double Y2) b)
    {
        double iw = Math.Min(a.X2, b.X2) - Math.Max(a.X1, b.X1), ih = Math.Min(a.Y2, b.Y2) - Math.Max(a.Y1, b.Y1);
        if (iw <= 0 || ih <= 0) return false;
        double inter = iw * ih, areaB = (b.X2 - b.X1) * (b.Y2 - b.Y1);
        return inter > 0.4 * areaB;
    }
}
