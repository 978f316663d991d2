namespace YoloDistill.Detector.Inference;

/// <summary>
/// Settings of <see cref="NonMaxSuppression.Run"/>, defaults as Ultralytics v7.0 utils/general.py non_max_suppression
/// (detect.py uses these; val.py passes conf 0.001, iou 0.6, multi_label true).
/// </summary>
/// <param name="ConfThres">Minimum objectness, and minimum obj*cls confidence, of a kept detection (0.25).</param>
/// <param name="IouThres">Boxes overlapping a higher-scored box of the same class by more than this IoU are dropped (0.45).</param>
/// <param name="Classes">Keep only these class indices (null: all).</param>
/// <param name="Agnostic">Suppress across classes instead of per class (false).</param>
/// <param name="MultiLabel">One detection per (box, class) pair above ConfThres instead of the best class only (false).</param>
/// <param name="MaxDet">Most detections kept per image (300).</param>
public sealed record NmsOptions(
    double ConfThres = 0.25,
    double IouThres = 0.45,
    int[]? Classes = null,
    bool Agnostic = false,
    bool MultiLabel = false,
    int MaxDet = 300)
{
    /// <summary>Most candidates, by confidence, that enter the suppression (Ultralytics max_nms).</summary>
    public int MaxNms { get; init; } = 30000;

    /// <summary>Per-class coordinate offset that keeps classes apart in batched NMS (Ultralytics max_wh, pixels).</summary>
    public double MaxWh { get; init; } = 7680;

    internal void Validate()
    {
        if (ConfThres is < 0 or > 1 || double.IsNaN(ConfThres))
            throw new ArgumentException($"Invalid confidence threshold {ConfThres}: valid values are between 0.0 and 1.0.");
        if (IouThres is < 0 or > 1 || double.IsNaN(IouThres))
            throw new ArgumentException($"Invalid IoU threshold {IouThres}: valid values are between 0.0 and 1.0.");
        if (MaxDet < 0) throw new ArgumentException($"Invalid max detections {MaxDet}: must be 0 or more.");
        if (MaxNms < 1) throw new ArgumentException($"Invalid max NMS candidates {MaxNms}: must be at least 1.");
    }
}
