namespace YoloDistill.Detector.Training;

/// <summary>
/// A training extension that needs the model's anchors as they are (e.g. output distillation, which compares the
/// student with a teacher anchor by anchor): AutoAnchor still measures the fit before training but does not evolve.
/// </summary>
public interface IFixedAnchors
{
    /// <summary>Why the anchors must stay (shown with the fit), or null when they may change.</summary>
    string? FixedAnchorsReason { get; }
}
