namespace YoloDistill.Detector.Model;

/// <summary>
/// What defines a YOLOv5 detector: its scale (depth and width multiples), classes, anchors and strides.
/// Mirrors Ultralytics' yolov5{n,s,m,l,x}.yaml (v6/v7 architecture).
/// </summary>
public sealed record ModelConfig
{
    /// <summary>Scale letter: n, s, m, l or x.</summary>
    public required string Scale { get; init; }
    public required int Nc { get; init; }
    public required string[] Names { get; init; }
    /// <summary>Anchors in pixels, one row per level (P3, P4, P5), each row w0,h0,w1,h1,w2,h2.</summary>
    public float[][] AnchorsPx { get; init; } = DefaultAnchors;
    public int[] Strides { get; init; } = [.. DefaultStrides];

    /// <summary>The scales of yolov5{n,s,m,l,x}.yaml, smallest first.</summary>
    public static IReadOnlyList<string> Scales { get; } = ["n", "s", "m", "l", "x"];

    /// <summary>The P3, P4 and P5 strides of every P5 YOLOv5.</summary>
    public static IReadOnlyList<int> DefaultStrides { get; } = [8, 16, 32];

    public static readonly float[][] DefaultAnchors =
    [
        [10, 13, 16, 30, 33, 23],
        [30, 61, 62, 45, 59, 119],
        [116, 90, 156, 198, 373, 326],
    ];

    public double DepthMultiple => Scale switch
    {
        "n" or "s" => 0.33, "m" => 0.67, "l" => 1.0, "x" => 1.33,
        _ => throw new ArgumentException($"Unknown YOLOv5 scale '{Scale}' (expected n, s, m, l or x)."),
    };

    public double WidthMultiple => Scale switch
    {
        "n" => 0.25, "s" => 0.50, "m" => 0.75, "l" => 1.0, "x" => 1.25,
        _ => throw new ArgumentException($"Unknown YOLOv5 scale '{Scale}' (expected n, s, m, l or x)."),
    };

    public int NumLevels => Strides.Length;
    public int NumAnchors => AnchorsPx[0].Length / 2;
    public int NumOutputs => Nc + 5;

    /// <summary>"yolov5n", "yolov5s", ..., or a bare scale letter, with nc classes named class0..class{nc-1} unless names are given.</summary>
    public static ModelConfig FromName(string model, int nc = 80, string[]? names = null)
    {
        var m = model.Trim().ToLowerInvariant();
        if (m.EndsWith(".yaml")) m = Path.GetFileNameWithoutExtension(m);
        var scale = m.StartsWith("yolov5") ? m["yolov5".Length..] : m;
        if (!Scales.Contains(scale))
            throw new ArgumentException($"Unknown model '{model}': expected yolov5n, yolov5s, yolov5m, yolov5l or yolov5x.");
        names ??= Enumerable.Range(0, nc).Select(i => $"class{i}").ToArray();
        if (names.Length != nc) throw new ArgumentException($"{names.Length} class names given for nc={nc}.");
        return new ModelConfig { Scale = scale, Nc = nc, Names = names };
    }

    public string ModelName => "yolov5" + Scale;
}
