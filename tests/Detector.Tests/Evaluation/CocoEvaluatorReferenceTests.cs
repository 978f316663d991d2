using YoloDistill.Detector.Evaluation;
using YoloDistill.Tests;

namespace YoloDistill.Detector.Tests.Evaluation;

/// <summary>The evaluator against pycocotools' own numbers on real data.</summary>
public class CocoEvaluatorReferenceTests
{
    static readonly double[] PycocotoolsStats =
        [0.348657, 0.551920, 0.362204, 0.162958, 0.349810, 0.505184, 0.300033, 0.473790, 0.517676, 0.255148, 0.546850, 0.646146];

    static CocoEvalResult EvaluateCoco128() => new CocoEvaluator().Evaluate(
        RefData.Require("data/coco128/annotations/instances_train2017.json"),
        RefData.Require("reference/preds/yolov5n_coco128.json"));

    [Fact]
    public void Coco128StatsMatchPycocotools()
    {
        var r = EvaluateCoco128();
        for (int i = 0; i < 12; i++)
            Assert.True(Math.Abs(r.Stats[i] - PycocotoolsStats[i]) <= 1e-6,
                $"{CocoEvalResult.StatNames[i]}: {r.Stats[i]:R} vs pycocotools {PycocotoolsStats[i]}");
        Assert.Equal(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.349", r.SummaryLines[0]);
        Assert.Equal(" Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.552", r.SummaryLines[1]);
        Assert.Equal(" Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.300", r.SummaryLines[6]);
        Assert.Equal(" Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = 0.646", r.SummaryLines[11]);
    }
}
