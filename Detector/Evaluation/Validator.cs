using System.Text.Json;
using TorchSharp;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Inference;
using YoloDistill.Detector.Loss;
using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Evaluation;

/// <summary>val.py's settings: NMS conf 0.001, IoU 0.6, multi-label, 300 detections per image.</summary>
public sealed record ValidatorOptions
{
    public double ConfThres { get; init; } = 0.001;
    public double IouThres { get; init; } = 0.6;
    public int MaxDet { get; init; } = 300;
    public bool SingleCls { get; init; }
    /// <summary>Collect COCO-format predictions (val.py --save-json).</summary>
    public bool CollectJson { get; init; } = true;
}

/// <summary>One COCO results entry, as save_one_json writes it.</summary>
public sealed record CocoPrediction(long ImageId, long CategoryId, double[] Bbox, double Score);

/// <summary>What a validation pass produced; Losses = mean (box, obj, cls) per batch when a ComputeLoss was given, else null.</summary>
public sealed record ValidationResult(ValMetrics Metrics, ConfusionMatrix ConfusionMatrix, IReadOnlyList<CocoPrediction> Predictions, double[]? Losses = null);

/// <summary>
/// val.py's loop: run the model over a validation loader, NMS each image, scale predictions and labels back to the
/// original image, match them over IoU .5:.95, and collect the stats, the confusion matrix and COCO predictions
/// (with the dataset's category ids). The model is used as given (call Fuse() first for speed); progress is batches done.
/// With a <see cref="ComputeLoss"/> it also averages the loss items over batches, as val.py does during training.
/// </summary>
public sealed class Validator(ValidatorOptions? options = null)
{
    public ValidatorOptions Options { get; } = options ?? new ValidatorOptions();

    public ValidationResult Run(YoloModel model, DetectionLoader loader, IReadOnlyList<int> classToCategoryId, IProgress<int>? progress = null,
        ComputeLoss? computeLoss = null, CancellationToken ct = default)
    {
        if (!Options.SingleCls && classToCategoryId.Count != model.Config.Nc)
            throw new InvalidDataException($"{loader.Dataset.AnnotationsPath}: {classToCategoryId.Count} categories, but the model has {model.Config.Nc} classes.");
        int nc = model.Config.Nc;
        var stats = new ValStats(DetectionMatcher.DefaultIouv.Length);
        var confusion = new ConfusionMatrix(nc);
        var predictions = new List<CocoPrediction>();
        var nms = new NmsOptions(Options.ConfThres, Options.IouThres, MultiLabel: true, Agnostic: Options.SingleCls, MaxDet: Options.MaxDet);
        var device = model.parameters().First().device;
        var lossSum = new double[3];
        int done = 0;
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = torch.no_grad();
            foreach (var batch in loader.Epoch(0, ct: ct))
            {
                using (batch)
                using (var scope = NewDisposeScope())
                {
                    var im = batch.Images.to(device);
                    int height = (int)im.shape[2], width = (int)im.shape[3];
                    using var output = model.forward(im);
                    var pred = output.Decoded ?? throw new InvalidOperationException("The model returned no decoded predictions in eval mode.");
                    if (computeLoss is not null)
                    {
                        // val.py: compute_loss(train_out, targets)[1] on the normalised targets, before NMS
                        var items = computeLoss.Compute(output.Raw, batch.Targets.to(device)).items.cpu().to(ScalarType.Float64).data<double>().ToArray();
                        for (int k = 0; k < 3; k++) lossSum[k] += items[k];
                    }
                    var dets = NonMaxSuppression.Run(pred.cpu(), nms);
                    var targets = batch.Targets.cpu().to(ScalarType.Float32);
                    var toPixels = tensor(new float[] { width, height, width, height });
                    for (int si = 0; si < dets.Length; si++)
                        ProcessImage(dets[si], targets, toPixels, si, height, width, batch.Shapes[si], batch.ImageIds[si], classToCategoryId, stats, confusion, predictions);
                }
                done++;
                progress?.Report(done);
            }
        }
        finally
        {
            if (wasTraining) model.train();
        }
        var losses = computeLoss is null ? null : lossSum.Select(l => l / Math.Max(done, 1)).ToArray();
        return new ValidationResult(stats.Compute(nc), confusion, predictions, losses);
    }

    void ProcessImage(Tensor pred, Tensor targets, Tensor toPixels, int si, int height, int width, ImageShape shape, long imageId,
        IReadOnlyList<int> classToCategoryId, ValStats stats, ConfusionMatrix confusion, List<CocoPrediction> predictions)
    {
        var labels = targets[targets.select(1, 0) == si].narrow(1, 1, 5); // class, cx, cy, w, h (normalised)
        long nl = labels.shape[0], npr = pred.shape[0];
        var tcls = labels.shape[0] > 0 ? labels.select(1, 0).data<float>().ToArray() : [];
        if (npr == 0)
        {
            stats.Add([], [], [], tcls);
            if (nl > 0)
            {
                var lab = new float[nl * 5];
                for (int i = 0; i < nl; i++) lab[i * 5] = tcls[i];
                confusion.ProcessBatch(null, lab);
            }
            return;
        }
        if (Options.SingleCls) pred[.., 5] = 0;
        var predn = BoxOps.ScaleBoxes(pred, height, width, shape).contiguous(); // native-space predictions
        var predArr = predn.data<float>().ToArray();
        bool[] correct;
        if (nl > 0)
        {
            var xyxy = BoxOps.XywhToXyxy(labels.narrow(1, 1, 4) * toPixels);
            var tbox = BoxOps.ScaleBoxes(xyxy, height, width, shape);
            var labelsn = cat(new[] { labels.narrow(1, 0, 1), tbox }, 1).contiguous();
            var labArr = labelsn.data<float>().ToArray();
            correct = DetectionMatcher.Process(predArr, labArr);
            confusion.ProcessBatch(predArr, labArr);
        }
        else correct = new bool[npr * DetectionMatcher.DefaultIouv.Length];
        var conf = pred.select(1, 4).contiguous().data<float>().ToArray();
        var pcls = pred.select(1, 5).contiguous().data<float>().ToArray();
        stats.Add(correct, conf, pcls, tcls);

        if (!Options.CollectJson) return;
        // save_one_json: xyxy -> xywh -> top-left corner, in float32, then rounded as Python's round(x, 3) / round(s, 5).
        var box = BoxOps.XyxyToXywh(predn.narrow(1, 0, 4));
        var xy = box.narrow(1, 0, 2) - box.narrow(1, 2, 2) / 2;
        var b = cat(new[] { xy, box.narrow(1, 2, 2) }, 1).contiguous().data<float>().ToArray();
        for (int i = 0; i < npr; i++)
        {
            var bb = new double[4];
            for (int j = 0; j < 4; j++) bb[j] = Math.Round((double)b[i * 4 + j], 3, MidpointRounding.ToEven);
            predictions.Add(new CocoPrediction(imageId, classToCategoryId[(int)predArr[i * 6 + 5]], bb,
                Math.Round((double)predArr[i * 6 + 4], 5, MidpointRounding.ToEven)));
        }
    }

    /// <summary>Writes predictions as a COCO results json (list of {image_id, category_id, bbox, score}), atomically.</summary>
    public static void WriteCocoJson(IReadOnlyList<CocoPrediction> predictions, string path)
    {
        AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream);
            w.WriteStartArray();
            foreach (var p in predictions)
            {
                w.WriteStartObject();
                w.WriteNumber("image_id", p.ImageId);
                w.WriteNumber("category_id", p.CategoryId);
                w.WriteStartArray("bbox");
                foreach (var v in p.Bbox) w.WriteNumberValue(v);
                w.WriteEndArray();
                w.WriteNumber("score", p.Score);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
    }
}
