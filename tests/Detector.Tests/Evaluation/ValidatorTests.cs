using YoloDistill.Detector.Data;
using YoloDistill.Detector.Evaluation;
using YoloDistill.Detector.Model;

namespace YoloDistill.Detector.Tests.Evaluation;

public class ValidatorTests
{
    [Fact]
    public void UntrainedModelOnSyntheticValSetProducesConsistentStatsAndCocoJson()
    {
        var root = Directory.CreateTempSubdirectory("validator").FullName;
        try
        {
            var summary = SynthDataset.Generate(root, 5, new SynthOptions { Train = 1, Val = 5, ImgSize = 64 });
            var ds = CocoDataset.Load(root, "val");
            using var model = new YoloModel(ModelConfig.FromName("yolov5n", ds.NumClasses));
            using var loader = new DetectionLoader(ds, LoaderOptions.Validation(64, 2, 1));
            // A threshold far below val.py's so the untrained head's tiny confidences still yield detections.
            var validator = new Validator(new ValidatorOptions { ConfThres = 1e-9, MaxDet = 50 });
            var result = validator.Run(model, loader, ds.ClassToCategoryId);

            Assert.Equal(5, result.Metrics.Images);
            Assert.Equal(summary.ValBoxes, result.Metrics.Instances);
            Assert.Equal(summary.ValBoxes, result.Metrics.TargetsPerClass.Sum());
            Assert.InRange(result.Metrics.Map, 0.0, 1.0);
            Assert.NotEmpty(result.Predictions);
            Assert.True(result.Predictions.GroupBy(p => p.ImageId).All(g => g.Count() <= 50));
            var categoryIds = ds.ClassToCategoryId.Select(c => (long)c).ToHashSet();
            Assert.All(result.Predictions, p => Assert.Contains(p.CategoryId, categoryIds));
            Assert.All(result.Predictions, p => Assert.True(p.Bbox[0] >= 0 && p.Bbox[1] >= 0 && p.Bbox[2] >= 0 && p.Bbox[3] >= 0 && p.Score > 0));
            // Every confusion-matrix column sums to the labels of that class (each label lands somewhere once).
            for (int c = 0; c < ds.NumClasses; c++)
            {
                double col = 0;
                for (int r = 0; r <= ds.NumClasses; r++) col += result.ConfusionMatrix.Matrix[r, c];
                Assert.Equal(result.Metrics.TargetsPerClass[c], (long)col);
            }
            // The COCO json is accepted by the evaluator against the dataset's own annotations.
            var json = Path.Combine(root, "predictions.json");
            Validator.WriteCocoJson(result.Predictions, json);
            var eval = new CocoEvaluator().Evaluate(ds.AnnotationsPath, json);
            Assert.InRange(eval.Stats[0], 0.0, 1.0);
        }
        finally { Directory.Delete(root, true); }
    }
}
