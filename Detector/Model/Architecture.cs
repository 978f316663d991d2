namespace YoloDistill.Detector.Model;

/// <summary>One row of the model yaml: inputs (-1 = previous layer), repeats, module type and channel argument.</summary>
public sealed record LayerSpec(int[] From, int Repeats, string Module, int Channels, int Kernel = 0, int Stride = 0, int Padding = -1, bool Shortcut = true);

/// <summary>
/// yolov5{n,s,m,l,x}.yaml (v6.0 and later): the same backbone and PANet head for every scale; the scale only
/// multiplies depths and widths.
/// </summary>
public static class Architecture
{
    public static readonly LayerSpec[] Layers =
    [
        // backbone
        new([-1], 1, "Conv", 64, 6, 2, 2),      // 0-P1/2
        new([-1], 1, "Conv", 128, 3, 2),        // 1-P2/4
        new([-1], 3, "C3", 128),
        new([-1], 1, "Conv", 256, 3, 2),        // 3-P3/8
        new([-1], 6, "C3", 256),
        new([-1], 1, "Conv", 512, 3, 2),        // 5-P4/16
        new([-1], 9, "C3", 512),
        new([-1], 1, "Conv", 1024, 3, 2),       // 7-P5/32
        new([-1], 3, "C3", 1024),
        new([-1], 1, "SPPF", 1024, 5),          // 9
        // head
        new([-1], 1, "Conv", 512, 1, 1),
        new([-1], 1, "Upsample", 0),
        new([-1, 6], 1, "Concat", 0),           // cat backbone P4
        new([-1], 3, "C3", 512, Shortcut: false),       // 13
        new([-1], 1, "Conv", 256, 1, 1),
        new([-1], 1, "Upsample", 0),
        new([-1, 4], 1, "Concat", 0),           // cat backbone P3
        new([-1], 3, "C3", 256, Shortcut: false),       // 17 (P3/8-small)
        new([-1], 1, "Conv", 256, 3, 2),
        new([-1, 14], 1, "Concat", 0),          // cat head P4
        new([-1], 3, "C3", 512, Shortcut: false),       // 20 (P4/16-medium)
        new([-1], 1, "Conv", 512, 3, 2),
        new([-1, 10], 1, "Concat", 0),          // cat head P5
        new([-1], 3, "C3", 1024, Shortcut: false),      // 23 (P5/32-large)
        new([17, 20, 23], 1, "Detect", 0),      // 24
    ];

    /// <summary>Ultralytics make_divisible(x, 8): channels rounded up to a multiple of 8.</summary>
    public static int MakeDivisible(double x, int divisor = 8) => (int)Math.Ceiling(x / divisor) * divisor;

    /// <summary>Ultralytics' depth gain: max(round(n * gd), 1) for n &gt; 1 (Python round: half to even).</summary>
    public static int Depth(int n, double gd) => n > 1 ? Math.Max((int)Math.Round(n * gd, MidpointRounding.ToEven), 1) : n;
}
