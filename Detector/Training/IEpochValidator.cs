using YoloDistill.Detector.Evaluation;
using YoloDistill.Detector.Loss;
using YoloDistill.Detector.Model;

namespace YoloDistill.Detector.Training;

/// <summary>
/// Validates the EMA model at the end of an epoch (val.py run with the training's compute_loss): the result's mean
/// metrics and Losses (box, obj, cls) fill results.csv; Losses null counts as 0.
/// </summary>
public interface IEpochValidator : IDisposable
{
    ValidationResult Validate(YoloModel model, ComputeLoss computeLoss, CancellationToken ct = default);
}
