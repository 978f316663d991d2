using TorchSharp;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Evaluation;
using YoloDistill.Detector.Inference;
using YoloDistill.Detector.Loss;
using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Training;

/// <summary>
/// End-of-epoch validation as val.py runs it during training (rect batches with pad 0.5, NMS conf 0.001 / iou 0.6,
/// multi-label, 300 per image, val losses from the raw outputs), scored with the pycocotools clone: mAP@0.5 and
/// mAP@0.5:0.95 are COCOeval's AP50 and AP. Precision and recall need Ultralytics' ap_per_class, which this
/// validator does not compute: they are reported as NaN.
/// </summary>
public sealed class CocoMapValidator : IEpochValidator
{
    readonly DetectionLoader _loader;
    readonly CocoGroundTruth _gt;
    readonly Dictionary<long, int> _imageIndex;
    readonly Device _device;
    static readonly NmsOptions Nms = new(ConfThres: 0.001, IouThres: 0.6, MultiLabel: true, MaxDet: 300);

    public CocoMapValidator(CocoDataset dataset, int imgSize, int batchSize, int workers, Device device)
    {
        _loader = new DetectionLoader(dataset, LoaderOptions.Validation(imgSize, batchSize, workers));
        _gt = CocoGroundTruth.Load(dataset.AnnotationsPath);
        _imageIndex = _gt.ImageIds.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
        if (_gt.Categories.Length != dataset.NumClasses)
            throw new InvalidDataException($"{dataset.AnnotationsPath}: {_gt.Categories.Length} categories for evaluation, {dataset.NumClasses} classes in the dataset.");
        _device = device;
    }

    public ValidationResult Validate(YoloModel model, ComputeLoss computeLoss, CancellationToken ct = default)
    {
        bool wasTraining = model.training;
        model.eval();
        var dets = new CocoBoxes(1024);
        var lossSum = new double[3];
        int nb = 0;
        long detId = 0;
        try
        {
            using var noGrad = torch.no_grad();
            foreach (var batch in _loader.Epoch(0, 0, ct))
            {
                using var b = batch;
                using var scope = NewDisposeScope();
                var imgs = b.Images.to(_device);
                var output = model.forward(imgs);
                var (_, items) = computeLoss.Compute(output.Raw, b.Targets.to(_device));
                var it = items.cpu().data<float>().ToArray();
                for (int k = 0; k < 3; k++) lossSum[k] += it[k];
                nb++;
                var perImage = NonMaxSuppression.Run(output.Decoded!, Nms);
                int inH = (int)imgs.shape[2], inW = (int)imgs.shape[3];
                for (int i = 0; i < perImage.Length; i++)
                {
                    var d = perImage[i];
                    if (d.shape[0] == 0) continue;
                    var boxes = BoxOps.ScaleBoxes(d.cpu(), inH, inW, b.Shapes[i]);
                    var v = boxes.contiguous().data<float>().ToArray();
                    int img = _imageIndex[b.ImageIds[i]];
                    for (int r = 0; r < (int)d.shape[0]; r++)
                    {
                        int o = r * 6;
                        // val.py's save_one_json: xywh with top-left corner, rounded to 3 decimals; score to 5.
                        double x1 = v[o], y1 = v[o + 1], w = Math.Round(v[o + 2] - (double)v[o], 3), h = Math.Round(v[o + 3] - (double)v[o + 1], 3);
                        x1 = Math.Round(x1, 3);
                        y1 = Math.Round(y1, 3);
                        dets.Add(img, (int)v[o + 5], (x1, y1, w, h), w * h, false, ++detId, Math.Round(v[o + 4], 5));
                    }
                }
            }
        }
        finally
        {
            if (wasTraining) model.train();
        }
        var res = new CocoEvaluator().Evaluate(_gt, dets);
        double Map(double s) => s < 0 ? 0 : s;
        return new ValidationResult(double.NaN, double.NaN, Map(res.Stats[1]), Map(res.Stats[0]),
            lossSum[0] / Math.Max(nb, 1), lossSum[1] / Math.Max(nb, 1), lossSum[2] / Math.Max(nb, 1));
    }

    public void Dispose() => _loader.Dispose();
}
