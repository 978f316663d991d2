namespace YoloDistill.Detector.Model;

/// <summary>
/// One row of the model yaml: inputs (-1 = previous layer), repeats, module and its arguments: channels (before the width
/// gain), kernel, stride, padding (-1: k/2), C3's shortcut, Upsample's scale factor.
/// </summary>
public sealed record LayerSpec(int[] From, int Repeats, LayerKind Kind, int Channels, int Kernel = 0, int Stride = 0, int Padding = -1,
    bool Shortcut = true, int Scale = 0)
{
    /// <summary>The padding when the row sets one; null leaves Conv's "same" padding (k/2).</summary>
    public int? ExplicitPadding => Padding >= 0 ? Padding : null;
}

/// <summary>
/// yolov5{n,s,m,l,x}.yaml (v6.0 and later): the same backbone and PANet head for every scale; the scale only
/// multiplies depths and widths.
/// </summary>
public static class Architecture
{
    public static readonly LayerSpec[] Layers =
    [
        // backbone
        new([-1], 1, LayerKind.Conv, 64, 6, 2, 2),          // 0-P1/2
        new([-1], 1, LayerKind.Conv, 128, 3, 2),            // 1-P2/4
        new([-1], 3, LayerKind.C3, 128),
        new([-1], 1, LayerKind.Conv, 256, 3, 2),            // 3-P3/8
        new([-1], 6, LayerKind.C3, 256),
        new([-1], 1, LayerKind.Conv, 512, 3, 2),            // 5-P4/16
        new([-1], 9, LayerKind.C3, 512),
        new([-1], 1, LayerKind.Conv, 1024, 3, 2),           // 7-P5/32
        new([-1], 3, LayerKind.C3, 1024),
        new([-1], 1, LayerKind.SPPF, 1024, 5),              // 9
        // head
        new([-1], 1, LayerKind.Conv, 512, 1, 1),
        new([-1], 1, LayerKind.Upsample, 0, Scale: 2),
        new([-1, 6], 1, LayerKind.Concat, 0),               // cat backbone P4
        new([-1], 3, LayerKind.C3, 512, Shortcut: false),   // 13
        new([-1], 1, LayerKind.Conv, 256, 1, 1),
        new([-1], 1, LayerKind.Upsample, 0, Scale: 2),
        new([-1, 4], 1, LayerKind.Concat, 0),               // cat backbone P3
        new([-1], 3, LayerKind.C3, 256, Shortcut: false),   // 17 (P3/8-small)
        new([-1], 1, LayerKind.Conv, 256, 3, 2),
        new([-1, 14], 1, LayerKind.Concat, 0),              // cat head P4
        new([-1], 3, LayerKind.C3, 512, Shortcut: false),   // 20 (P4/16-medium)
        new([-1], 1, LayerKind.Conv, 512, 3, 2),
        new([-1, 10], 1, LayerKind.Concat, 0),              // cat head P5
        new([-1], 3, LayerKind.C3, 1024, Shortcut: false),  // 23 (P5/32-large)
        new([17, 20, 23], 1, LayerKind.Detect, 0),          // 24
    ];

    /// <summary>The `from` index that stands for the image, which the first layer reads.</summary>
    public const int ImageInput = -1;

    /// <summary>Channels of the image the first layer reads (RGB).</summary>
    public const long ImageChannels = 3;

    /// <summary>Ultralytics sets eps 1e-3 on every BatchNorm2d (models/common.py Conv via initialize_weights).</summary>
    public const double BnEps = 1e-3;

    /// <summary>The layers whose outputs feed Detect (the P3, P4, P5 neck outputs): the last row's inputs.</summary>
    public static IReadOnlyList<int> FeatureLayers { get; } = Layers[^1].From;

    /// <summary>
    /// Output channels of every layer but Detect at the scale's width, as parse_model computes them: Conv, C3 and
    /// SPPF round their channel argument times the width multiple up to a multiple of 8; Concat adds its inputs;
    /// Upsample keeps its input's.
    /// </summary>
    public static long[] Channels(ModelConfig cfg)
    {
        double gw = cfg.WidthMultiple;
        var ch = new long[Layers.Length - 1];
        for (int i = 0; i < ch.Length; i++)
        {
            var s = Layers[i];
            long c1 = i == 0 ? ImageChannels : ch[From(i, s.From[0])];
            ch[i] = s.Kind switch
            {
                LayerKind.Conv or LayerKind.C3 or LayerKind.SPPF => MakeDivisible(s.Channels * gw),
                LayerKind.Concat => s.From.Sum(f => ch[From(i, f)]),
                _ => c1,
            };
        }
        return ch;
    }

    /// <summary>Channels of the feature taps (<see cref="FeatureLayers"/>) at the scale's width.</summary>
    public static long[] FeatureChannels(ModelConfig cfg)
    {
        var ch = Channels(cfg);
        return FeatureLayers.Select(f => ch[f]).ToArray();
    }

    /// <summary>
    /// Every row resolved for <paramref name="cfg"/>'s scale (<see cref="ScaledLayer"/>): what both YoloModel and the ONNX
    /// exporter walk, so that a new scale or head is a change to the table alone.
    /// </summary>
    public static IReadOnlyList<ScaledLayer> AtScale(ModelConfig cfg)
    {
        var ch = Channels(cfg);
        var rows = new ScaledLayer[Layers.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            var s = Layers[i];
            var from = s.From.Select(f => From(i, f)).ToArray();
            var inCh = from.Select(f => f == ImageInput ? ImageChannels : ch[f]).ToArray();
            long outCh = s.Kind == LayerKind.Detect ? (long)cfg.NumAnchors * cfg.NumOutputs : ch[i];
            rows[i] = new ScaledLayer(i, s, from, Depth(s.Repeats, cfg.DepthMultiple), inCh, outCh);
        }
        return rows;
    }

    /// <summary>A row's input index: -1 is the previous layer (for the first row, the image: <see cref="ImageInput"/>).</summary>
    public static int From(int layer, int from) => from < 0 ? layer + from : from;

    /// <summary>Ultralytics make_divisible(x, 8): channels rounded up to a multiple of 8.</summary>
    public static int MakeDivisible(double x, int divisor = 8) => (int)Math.Ceiling(x / divisor) * divisor;

    /// <summary>Ultralytics' depth gain: max(round(n * gd), 1) for n &gt; 1 (Python round: half to even).</summary>
    public static int Depth(int n, double gd) => n > 1 ? Math.Max((int)Math.Round(n * gd, MidpointRounding.ToEven), 1) : n;
}
