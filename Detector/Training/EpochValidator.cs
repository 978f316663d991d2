using TorchSharp;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Evaluation;
using ValidationResult = YoloDistill.Detector.Training.ValidationResult;
using YoloDistill.Detector.Loss;
using YoloDistill.Detector.Model;
using static TorchSharp.torch;

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
        var m = _validator.Run(model, _loader, _dataset.ClassToCategoryId, ct: ct).Metrics;
        var losses = ValLosses(model, computeLoss, ct);
        return new ValidationResult(m.MP, m.MR, m.Map50, m.Map, losses[0], losses[1], losses[2]);
    }

    /// <summary>val.py: loss += compute_loss(train_out, targets)[1] per batch, divided by the number of batches.</summary>
    double[] ValLosses(YoloModel model, ComputeLoss computeLoss, CancellationToken ct)
    {
        var sum = new double[3];
        int nb = 0;
        bool wasTraining = model.training;
        model.eval();
        var device = model.parameters().First().device;
        try
        {
            using var noGrad = torch.no_grad();
            foreach (var batch in _loader.Epoch(0, ct: ct))
            {
                using var b = batch;
                using var scope = NewDisposeScope();
                var output = model.forward(b.Images.to(device));
                var (_, items) = computeLoss.Compute(output.Raw, b.Targets.to(device));
                var it = items.cpu().data<float>().ToArray();
                for (int k = 0; k < 3; k++) sum[k] += it[k];
                nb++;
            }
        }
        finally
        {
            if (wasTraining) model.train();
        }
        return sum.Select(s => s / Math.Max(nb, 1)).ToArray();
    }

    public void Dispose() => _loader.Dispose();
}
