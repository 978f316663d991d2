using YoloDistill.Detector.Data;
using YoloDistill.Detector.Evaluation;
using YoloDistill.Detector.Loss;
using YoloDistill.Detector.Model;

namespace YoloDistill.Detector.Training;

/// <summary>
/// train.py's end-of-epoch val.py run on the EMA model: rect batches of 2x the training batch with pad 0.5, NMS conf
/// 0.001 / iou 0.6 multi-label, P, R, mAP@0.5 and mAP@0.5:0.95 from <see cref="Validator"/> (ap_per_class), and
/// the val box/obj/cls losses of the training's ComputeLoss on the raw outputs, averaged over batches.
/// </summary>
public sealed class EpochValidator : IEpochValidator
{
    readonly CocoDataset _dataset;
    readonly DetectionLoader _loader;
    readonly Validator _validator = new(new ValidatorOptions { CollectJson = false });

    public EpochValidator(CocoDataset dataset, int imgSize, int batchSize, int workers)
    {
        _dataset = dataset;
        _loader = new DetectionLoader(dataset, LoaderOptions.Validation(imgSize, batchSize, workers));
    }

    public ValidationResult Validate(YoloModel model, ComputeLoss computeLoss, CancellationToken ct = default)
    {
        // One pass: Validator averages ComputeLoss items over the batches as val.py does during training.
        return _validator.Run(model, _loader, _dataset.ClassToCategoryId, ct: ct, computeLoss: computeLoss);
    }

    public void Dispose() => _loader.Dispose();
}
