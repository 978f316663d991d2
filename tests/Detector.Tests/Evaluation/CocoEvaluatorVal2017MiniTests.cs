using System.Globalization;
using System.Text;
using YoloDistill.Detector.Evaluation;
using YoloDistill.Tests;

namespace YoloDistill.Detector.Tests.Evaluation;

/// <summary>
/// Official val2017 annotations (crowds, mask areas) against detections derived from them deterministically, where
/// the expected numbers follow from the definitions: found objects at precision 1, false positives only below every
/// true positive, and detections on crowd regions ignored.
/// </summary>
public class CocoEvaluatorVal2017MiniTests
{
    static string Gt => RefData.Require("data/val2017-mini/annotations/instances_val2017.json");

    /// <summary>Detections for the non-crowd objects (all, or skipping every third), far-away FPs below them, crowd hits above them.</summary>
    static string WriteDetections(CocoGroundTruth gt, bool skipEveryThird, string path)
    {
        var rng = new Random(1234);
        var a = gt.Annotations;
        var sb = new StringBuilder("[");
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        void Add(int i, double x, double y, double score) =>
            sb.Append(sb.Length > 1 ? ", " : "").Append($"{{\"image_id\": {gt.ImageIds[a.Image[i]]}, \"category_id\": {gt.Categories[a.Category[i]].Id}, " +
                                                          $"\"bbox\": [{F(x)}, {F(y)}, {F(a.W[i])}, {F(a.H[i])}], \"score\": {F(score)}}}");
        int n = 0;
        for (int i = 0; i < a.Count; i++)
        {
            if (a.Crowd[i]) { Add(i, a.X[i], a.Y[i], 0.99 + 0.001 * rng.NextDouble()); continue; }
            if (!(skipEveryThird && n++ % 3 == 2)) Add(i, a.X[i], a.Y[i], 0.5 + 0.45 * rng.NextDouble());
            Add(i, a.X[i] + 5000, a.Y[i] + 5000, 0.45 * rng.NextDouble());
        }
        File.WriteAllText(path, sb.Append(']').ToString());
        return path;
    }

    [Fact]
    public void AllObjectsFoundGivesOneEverywhere()
    {
        var gt = CocoGroundTruth.Load(Gt);
        Assert.Equal(16, Enumerable.Range(0, gt.Annotations.Count).Count(i => gt.Annotations.Crowd[i]));
        var path = Path.Combine(Path.GetTempPath(), $"val2017-mini-dets-{Guid.NewGuid():N}.json");
        try
        {
            var r = new CocoEvaluator().Evaluate(gt, CocoDetections.Load(WriteDetections(gt, false, path), gt));
            foreach (int i in new[] { 0, 1, 2, 3, 4, 5, 8, 9, 10, 11 })
                Assert.True(Math.Abs(r.Stats[i] - 1.0) < 1e-12, $"{CocoEvalResult.StatNames[i]} = {r.Stats[i]:R}");
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void MissedObjectsCutRecallAndApExactlyAsDefined()
    {
        var gt = CocoGroundTruth.Load(Gt);
        var path = Path.Combine(Path.GetTempPath(), $"val2017-mini-dets-{Guid.NewGuid():N}.json");
        try
        {
            var r = new CocoEvaluator().Evaluate(gt, CocoDetections.Load(WriteDetections(gt, true, path), gt));
            var a = gt.Annotations;
            int K = gt.Categories.Length;
            var total = new int[K];
            var found = new int[K];
            int n = 0;
            for (int i = 0; i < a.Count; i++)
            {
                if (a.Crowd[i]) continue;
                total[a.Category[i]]++;
                if (n++ % 3 != 2) found[a.Category[i]]++;
            }
            var recThrs = NumpyMath.Linspace(0, 1, 101);
            var recalls = new List<double>();
            var aps = new List<double>();
            for (int k = 0; k < K; k++)
            {
                if (total[k] == 0) continue;
                double rcMax = (double)found[k] / total[k];
                recalls.Add(rcMax);
                // With no true positive the precision read at recall 0 is that of a false positive: 0.
                aps.Add(found[k] == 0 ? 0.0 : recThrs.Count(t => rcMax >= t) / 101.0);
            }
            Assert.Equal(recalls.Average(), r.Stats[8], 12);  // AR100
            Assert.Equal(aps.Average(), r.Stats[0], 12);      // AP, identical at every IoU threshold
            Assert.Equal(aps.Average(), r.Stats[1], 12);
            Assert.True(r.Stats[0] < 0.8 && r.Stats[0] > 0.5);
        }
        finally { File.Delete(path); }
    }
}
