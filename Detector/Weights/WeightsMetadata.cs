namespace YoloDistill.Detector.Weights;

/// <summary>What a weights file says about its model besides the tensors; each field is null when the file does not say.</summary>
public sealed record WeightsMetadata
{
    public int? Nc { get; init; }
    public string[]? Names { get; init; }
    public float[]? Strides { get; init; }
    /// <summary>Anchors in pixels, one row per level, each row w0,h0,w1,h1,w2,h2.</summary>
    public float[][]? AnchorsPx { get; init; }
    /// <summary>Free-form facts worth showing (epoch, date, source), never needed to build the model.</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();
}
