namespace YoloDistill.Detector.Weights;

/// <summary>A tensor the weights had under a model key, but with a different shape (left at its fresh initialisation).</summary>
public sealed record ShapeMismatch(string Key, long[] ModelShape, long[] WeightsShape)
{
    public override string ToString() => $"{Key}: model ({string.Join(",", ModelShape)}) vs weights ({string.Join(",", WeightsShape)})";
}

/// <summary>What StateDictImporter.LoadInto did, key by key.</summary>
public sealed record ImportReport
{
    /// <summary>Model keys filled from the weights.</summary>
    public required IReadOnlyList<string> Copied { get; init; }
    /// <summary>Keys present in both whose shapes differ (e.g. Detect's output convs when nc differs).</summary>
    public required IReadOnlyList<ShapeMismatch> Skipped { get; init; }
    /// <summary>Keys excluded on request.</summary>
    public required IReadOnlyList<string> Excluded { get; init; }
    /// <summary>Model keys the weights do not have.</summary>
    public required IReadOnlyList<string> Missing { get; init; }
    /// <summary>Weights keys the model does not have.</summary>
    public required IReadOnlyList<string> Unexpected { get; init; }
    public required int ModelKeys { get; init; }

    public string Summary =>
        $"transferred {Copied.Count}/{ModelKeys} items" +
        (Skipped.Count > 0 ? $", {Skipped.Count} kept fresh (shape differs)" : "") +
        (Missing.Count > 0 ? $", {Missing.Count} missing" : "") +
        (Unexpected.Count > 0 ? $", {Unexpected.Count} unused" : "");
}
