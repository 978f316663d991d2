using YoloDistill.Detector.Evaluation;

namespace YoloDistill.Detector.Tests.Evaluation;

public class ConfusionMatrixTests
{
    [Fact]
    public void CorrectConfusedBackgroundAndLowConfidence()
    {
        var cm = new ConfusionMatrix(2);
        float[] labels = [0, 0, 0, 50, 50, 1, 100, 100, 150, 150];
        float[] dets =
        [
            0, 0, 50, 50, 0.9f, 0,       // on the class-0 object, class 0: correct
            100, 100, 150, 150, 0.8f, 0, // on the class-1 object, class 0: confusion
            300, 300, 350, 350, 0.7f, 1, // nothing there: predicted background
            0, 0, 50, 50, 0.2f, 1,       // below conf .25: dropped
        ];
        cm.ProcessBatch(dets, labels);
        Assert.Equal(1, cm.Matrix[0, 0]);
        Assert.Equal(1, cm.Matrix[0, 1]);
        Assert.Equal(1, cm.Matrix[1, 2]);
        Assert.Equal(3, cm.Matrix.Cast<double>().Sum());
        var (tp, fp) = cm.TpFp();
        Assert.Equal([1.0, 0.0], tp);
        Assert.Equal([1.0, 1.0], fp);
    }

    [Fact]
    public void ImageWithoutPredictionsCountsMissedObjects()
    {
        var cm = new ConfusionMatrix(3);
        cm.ProcessBatch(null, [2, 0, 0, 10, 10, 2, 20, 20, 30, 30]);
        Assert.Equal(2, cm.Matrix[3, 2]);
    }

    [Fact]
    public void WithoutAnyMatchFalsePositivesAreNotCounted()
    {
        // Ultralytics only counts predicted-background entries when the image had at least one match.
        var cm = new ConfusionMatrix(1);
        cm.ProcessBatch([300, 300, 350, 350, 0.9f, 0], [0, 0, 0, 50, 50]);
        Assert.Equal(1, cm.Matrix[1, 0]);
        Assert.Equal(0, cm.Matrix[0, 1]);
    }
}
