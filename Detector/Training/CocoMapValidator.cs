using YoloDistill.Detector.Data;
using YoloDistill.Detector.Evaluation;
using YoloDistill.Detector.Loss;
using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Training;

/// <summary>
/// End-of-epoch validation as train.py runs val.run: the same <see cref="Validator"/> as `yolo-distill val` (rect batches
/// with pad 0.5, NMS conf 0.001 / IoU 0.6, multi-label, 300 per image, ap_per_class), on the unfused EMA model, with the
/// training's ComputeLoss for the val losses. P, R, mAP@0.5 and mAP@0.5:0.95 are Ultralytics' numbers, as results.csv holds them.
/// </summary>
public sealed class CocoMapValidator : IEpochValidator
{
    readonly DetectionLoader _loader;
    readonly CocoDataset _dataset;
    readonly Validator _validator = new(new ValidatorOptions { CollectJson = false });

    /// <summary>The device argument is kept for the trainer's call; batches go to whatever device the validated model is on.</summary>
    public CocoMapValidator(CocoDataset dataset, int imgSize, int batchSize, int workers, Device device)
    {
        _ = device;
        _dataset = dataset;
        _loader = new DetectionLoader(dataset, LoaderOptions.Validation(imgSize, batchSize, workers));
    }

    public ValidationResult Validate(YoloModel model, ComputeLoss computeLoss, CancellationToken ct = default)
    {
        var r = _validator.Run(model, _loader, _dataset.ClassToCategoryId, null, ct, computeLoss);
        var m = r.Metrics;
        var l = r.Losses!;
        return new ValidationResult(m.MP, m.MR, m.Map50, m.Map, l[0], l[1], l[2]);
    }

    public void Dispose() => _loader.Dispose();
}
