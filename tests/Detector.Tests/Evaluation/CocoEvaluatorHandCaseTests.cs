using YoloDistill.Detector.Evaluation;

namespace YoloDistill.Detector.Tests.Evaluation;

/// <summary>
/// Small cases whose COCOeval numbers follow by hand from pycocotools' definitions. Note pycocotools' precision is
/// tp / (tp + fp + 2^-52), so a lone true positive scores 1/(1 + 2^-52), one ulp below 1.
/// </summary>
public class CocoEvaluatorHandCaseTests
{
    const double OneTp = 1.0 / (1.0 + 2.220446049250313e-16);
    enum S { AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl }

    static double[] Eval(CocoFiles f, long[] images, long[] cats) =>
        new CocoEvaluator().Evaluate(f.Write(images, cats).GtPath, f.DtPath).Stats;

    [Fact]
    public void PerfectDetectionsOfTwoLargeObjectsGiveApOneAndEmptyAreaRangesMinusOne()
    {
        using var f = new CocoFiles()
            .Gt(1, 1, 10, 10, 100, 100).Gt(1, 1, 200, 200, 120, 100)
            .Dt(1, 1, 10, 10, 100, 100, 0.9).Dt(1, 1, 200, 200, 120, 100, 0.8);
        var s = Eval(f, [1], [1]);
        // Two TPs: precision [1/(1+eps), 1] and the envelope lifts the first to exactly 1.
        Assert.Equal(1.0, s[(int)S.AP]);
        Assert.Equal(1.0, s[(int)S.AP50]);
        Assert.Equal(1.0, s[(int)S.APl]);
        Assert.Equal(-1.0, s[(int)S.APs]);
        Assert.Equal(-1.0, s[(int)S.APm]);
        Assert.Equal(-1.0, s[(int)S.ARs]);
        Assert.Equal(-1.0, s[(int)S.ARm]);
        Assert.Equal(0.5, s[(int)S.AR1]); // one detection per image finds one of two objects
        Assert.Equal(1.0, s[(int)S.AR10]);
        Assert.Equal(1.0, s[(int)S.AR100]);
    }

    [Fact]
    public void SinglePerfectDetectionScoresOneUlpBelowOne()
    {
        using var f = new CocoFiles().Gt(1, 1, 0, 0, 50, 50).Dt(1, 1, 0, 0, 50, 50, 0.5);
        var s = Eval(f, [1], [1]);
        Assert.Equal(OneTp, s[(int)S.APm], 15);
        Assert.True(s[(int)S.AP] < 1.0 && s[(int)S.AP] > 1 - 1e-15);
    }

    [Fact]
    public void NoDetectionsGiveZero()
    {
        using var f = new CocoFiles().Gt(1, 1, 0, 0, 50, 50).Gt(2, 1, 0, 0, 10, 10);
        var s = Eval(f, [1, 2], [1]);
        Assert.Equal(0.0, s[(int)S.AP]);
        Assert.Equal(0.0, s[(int)S.AR100]);
        Assert.Equal(0.0, s[(int)S.APs]);
        Assert.Equal(-1.0, s[(int)S.APl]);
    }

    [Fact]
    public void OneFalsePositiveAboveOneTruePositiveGivesHalf()
    {
        // rc = [0, 1], pr = [0, 1/2] -> envelope [1/2, 1/2]: AP = 0.5 at every threshold.
        using var f = new CocoFiles().Gt(1, 1, 0, 0, 50, 50)
            .Dt(1, 1, 300, 300, 50, 50, 0.9).Dt(1, 1, 0, 0, 50, 50, 0.8);
        var s = Eval(f, [1], [1]);
        Assert.Equal(0.5, s[(int)S.AP]);
        Assert.Equal(0.5, s[(int)S.APm]);
        Assert.Equal(0.0, s[(int)S.AR1]); // the top-1 detection is the false positive
        Assert.Equal(1.0, s[(int)S.AR10]);
    }

    [Fact]
    public void FalsePositiveOnAnImageWithoutObjectsCounts()
    {
        using var f = new CocoFiles().Gt(1, 1, 0, 0, 50, 50)
            .Dt(2, 1, 0, 0, 50, 50, 0.9).Dt(1, 1, 0, 0, 50, 50, 0.8);
        Assert.Equal(0.5, Eval(f, [1, 2], [1])[(int)S.AP]);
    }

    [Fact]
    public void DetectionsOnCrowdRegionsAreIgnored()
    {
        // Two top-scored detections fall inside a crowd box (IoU = intersection / detection area = 1): ignored,
        // not false positives, so the true positive below them still gives AP 1/(1+eps). Counted as FPs AP would be 1/3.
        using var f = new CocoFiles().Gt(1, 1, 0, 0, 50, 50).Gt(1, 1, 100, 100, 300, 300, crowd: true)
            .Dt(1, 1, 120, 120, 40, 40, 0.96).Dt(1, 1, 200, 200, 60, 60, 0.95).Dt(1, 1, 0, 0, 50, 50, 0.9);
        var s = Eval(f, [1], [1]);
        Assert.Equal(OneTp, s[(int)S.AP], 15);
        Assert.Equal(1.0, s[(int)S.AR100]);
        Assert.Equal(-1.0, s[(int)S.APl]); // the only large ground truth is a crowd
    }

    [Fact]
    public void AreaRangesFollowGroundTruthArea()
    {
        // small (area 100), medium (2500), large (40000) objects, all found, and a small FP with the top score.
        // all:   rc [0, 1/3, 2/3, 1], pr [0, 1/2, 2/3, 3/4] -> envelope 3/4 everywhere.
        // small: FP above TP -> 1/2.   medium/large: the others' detections match ignored gts -> lone TP.
        using var f = new CocoFiles().Gt(1, 1, 0, 0, 10, 10).Gt(1, 1, 100, 0, 50, 50).Gt(1, 1, 200, 200, 200, 200)
            .Dt(1, 1, 50, 400, 10, 10, 0.99).Dt(1, 1, 0, 0, 10, 10, 0.9).Dt(1, 1, 100, 0, 50, 50, 0.8).Dt(1, 1, 200, 200, 200, 200, 0.7);
        var s = Eval(f, [1], [1]);
        Assert.Equal(0.75, s[(int)S.AP]);
        Assert.Equal(0.5, s[(int)S.APs]);
        Assert.Equal(OneTp, s[(int)S.APm], 15);
        Assert.Equal(OneTp, s[(int)S.APl], 15);
        Assert.Equal(1.0, s[(int)S.ARs]);
    }

    [Fact]
    public void GroundTruthAreaFieldDecidesTheRangeNotTheBox()
    {
        // A 100x100 box annotated with a small (mask) area counts as small.
        using var f = new CocoFiles().Gt(1, 1, 0, 0, 100, 100, area: 500).Dt(1, 1, 0, 0, 100, 100, 0.9);
        var s = Eval(f, [1], [1]);
        Assert.Equal(OneTp, s[(int)S.APs], 15);
        Assert.Equal(-1.0, s[(int)S.APl]);
    }

    [Fact]
    public void OnlyTheFirstHundredDetectionsPerImageCount()
    {
        using var f = new CocoFiles().Gt(1, 1, 0, 0, 50, 50);
        for (int i = 0; i < 100; i++) f.Dt(1, 1, 100 + i, 300, 20, 20, 0.9);
        f.Dt(1, 1, 0, 0, 50, 50, 0.1);
        var s = Eval(f, [1], [1]);
        Assert.Equal(0.0, s[(int)S.AP]);
        Assert.Equal(0.0, s[(int)S.AR100]);
    }

    [Fact]
    public void IouBetweenThresholdsMatchesHalfOfThem()
    {
        // IoU = 72/100 = 0.72: a match at .50 .55 .60 .65 .70, none at .75 .. .95.
        using var f = new CocoFiles().Gt(1, 1, 0, 0, 100, 100).Dt(1, 1, 0, 0, 72, 100, 0.9);
        var s = Eval(f, [1], [1]);
        Assert.Equal(0.5, s[(int)S.AP], 12);
        Assert.Equal(OneTp, s[(int)S.AP50], 15);
        Assert.Equal(0.0, s[(int)S.AP75]);
        Assert.Equal(0.5, s[(int)S.AR100], 12);
    }

    [Fact]
    public void CategoriesAreMatchedSeparatelyAndAveraged()
    {
        // Category 1 perfect (two TPs -> 1), category 2 with a FP above its TP (-> 1/2): mean 0.75.
        using var f = new CocoFiles()
            .Gt(1, 1, 0, 0, 50, 50).Gt(1, 1, 100, 100, 50, 50).Gt(1, 2, 0, 0, 50, 50)
            .Dt(1, 1, 0, 0, 50, 50, 0.5).Dt(1, 1, 100, 100, 50, 50, 0.4)
            .Dt(1, 2, 100, 100, 50, 50, 0.9).Dt(1, 2, 0, 0, 50, 50, 0.3);
        var r = new CocoEvaluator().Evaluate(f.Write([1], [1, 2, 3]).GtPath, f.DtPath);
        Assert.Equal(0.75, r.Stats[(int)S.AP]);
        Assert.Equal([1.0, 0.5, -1.0], r.PerCategory.Select(c => c.Ap));
        Assert.Equal("c2", r.PerCategory[1].Name);
    }

    [Fact]
    public void DetectionOnUnknownImageIsAnErrorNamingTheFile()
    {
        using var f = new CocoFiles().Gt(1, 1, 0, 0, 50, 50).Dt(7, 1, 0, 0, 50, 50, 0.9);
        f.Write([1], [1]);
        var e = Assert.Throws<InvalidDataException>(() => new CocoEvaluator().Evaluate(f.GtPath, f.DtPath));
        Assert.Contains(f.DtPath, e.Message);
        Assert.Contains("image_id 7", e.Message);
    }

    [Fact]
    public void MissingAndMalformedFilesAreErrorsNamingTheFile()
    {
        using var f = new CocoFiles().Gt(1, 1, 0, 0, 50, 50);
        f.Write([1], [1]);
        var missing = Path.Combine(Path.GetTempPath(), "no-such-detections.json");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => new CocoEvaluator().Evaluate(f.GtPath, missing)).Message);
        File.WriteAllText(f.DtPath, "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3], \"score\": 0.5}]");
        var e = Assert.Throws<InvalidDataException>(() => new CocoEvaluator().Evaluate(f.GtPath, f.DtPath));
        Assert.Contains(f.DtPath, e.Message);
        File.WriteAllText(f.DtPath, "[{\"image_id\": 1,");
        Assert.Contains(f.DtPath, Assert.Throws<InvalidDataException>(() => new CocoEvaluator().Evaluate(f.GtPath, f.DtPath)).Message);
    }
}
