using YoloDistill.Detector.Evaluation;

namespace YoloDistill.Detector.Tests.Evaluation;

public class ApPerClassTests
{
    [Fact]
    public void PerfectRecallCurveGivesUltralyticsFamous0995()
    {
        // mrec [0, 1, 1], mpre [1, 1, 0]: the 101-point curve is 1 up to recall .99 and 0 at 1 -> .99 + .005.
        var (ap, _, _) = ApPerClass.ComputeAp([1.0], [1.0]);
        Assert.Equal(0.995, ap, 12);
    }

    [Fact]
    public void TpFpTpByHand()
    {
        // One class, 2 labels; detections (conf .9 TP, .8 FP, .7 TP): recall [.5, .5, 1], precision [1, .5, 2/3].
        // Envelope [1, 1, 2/3, 2/3, 0] on mrec [0, .5, .5, 1, 1]: 1 on [0, .5), 2/3 on [.5, 1), 0 at 1, so
        // AP = .49 + .01 * (1 + 2/3) / 2 + .49 * 2/3 + .01 * (2/3) / 2 = 0.828333...
        var r = ApPerClass.Compute([true, false, true], 1, [0.9f, 0.8f, 0.7f], [0f, 0f, 0f], [0f, 0f]);
        Assert.Equal([0], r.UniqueClasses);
        Assert.Equal(0.49 + 0.01 * (5.0 / 3) / 2 + 0.49 * 2.0 / 3 + 0.01 / 3, r.Ap[0][0], 12);
        // Below conf .7 the curves sit at their last values, P 2/3 and R 1 (F1 .8), the widest plateau: best index 0.
        Assert.Equal(0, r.BestIndex);
        Assert.Equal(2.0 / 3, r.P[0], 12);
        Assert.Equal(1.0, r.R[0], 12);
        Assert.Equal(0.8, r.F1[0], 12);
        Assert.Equal(2.0, r.Tp[0]);
        Assert.Equal(1.0, r.Fp[0]);
        // Above the top confidence recall is 0 (left=0) and precision 1 (left=1).
        Assert.Equal(0.0, r.RCurve[0][999]);
        Assert.Equal(1.0, r.PCurve[0][999]);
        // Between conf .8 and .9 recall is .5 and precision falls linearly from 1 to .5: at conf .85, .75.
        int i85 = Array.FindIndex(r.Px, x => x >= 0.85);
        double expectedP = 1 + (0.5 - 1) / (-0.8f - -0.9f) * (-r.Px[i85] - -0.9f);
        Assert.Equal(expectedP, r.PCurve[0][i85], 12);
        Assert.Equal(0.5, r.RCurve[0][i85], 12);
    }

    [Fact]
    public void ClassesWithoutPredictionsGetZerosAndPredictionsWithoutLabelsAreIgnored()
    {
        var r = ApPerClass.Compute([true, true], 1, [0.9f, 0.8f], [0f, 5f], [0f, 1f]);
        Assert.Equal([0, 1], r.UniqueClasses);
        Assert.Equal([1L, 1L], r.Nt);
        Assert.Equal(0.995, r.Ap[0][0], 12);
        Assert.Equal(0.0, r.Ap[1][0]);
        Assert.Single(r.PrCurves);
    }

    [Fact]
    public void ValStatsAveragesLikeValPy()
    {
        // Class 0: perfect at every IoU (.995). Class 1: a FP above a TP at IoU .5 only.
        var s = new ValStats(10);
        var c0 = Enumerable.Repeat(true, 10).ToArray();
        var fp = new bool[10];
        var tpHalf = new bool[10];
        tpHalf[0] = true;
        s.Add([.. c0, .. fp, .. tpHalf], [0.9f, 0.8f, 0.7f], [0f, 1f, 1f], [0f, 1f]);
        s.Add([], [], [], []);
        var m = s.Compute(3);
        Assert.Equal(2, m.Images);
        Assert.Equal([1L, 1L, 0L], m.TargetsPerClass);
        // Class 1 at IoU .5: recall [0, 1], precision [0, .5] -> envelope .5 on [0, 1) -> AP .5 * .99 + .01 * .25 = .4975.
        var ap1 = ApPerClass.ComputeAp([0, 1], [0, 0.5]).ap;
        Assert.Equal(0.4975, ap1, 12);
        Assert.Equal((0.995 + ap1) / 2, m.Map50, 12);
        Assert.Equal((0.995 + ap1 / 10) / 2, m.Map, 12);
        Assert.Equal(2, m.PerClass.Count);
        Assert.Equal(0.995, m.PerClass[0].Ap, 12);
    }

    [Fact]
    public void NothingCorrectGivesZeros()
    {
        var s = new ValStats(10);
        s.Add(new bool[10], [0.9f], [0f], [0f]);
        var m = s.Compute(1);
        Assert.Equal(0.0, m.Map);
        Assert.Empty(m.PerClass);
    }

    [Fact]
    public void NumpyHelpersFollowNumpy()
    {
        // np.interp: left/right values, exact hits, last xp[j] <= x for repeated xp.
        Assert.Equal([-1.0, 0.0, 0.5, 3.0, 9.0], NumpyMath.Interp([-5, 0, 0.5, 1, 7], [0, 1, 1, 2], [0, 1, 3, 5], left: -1, right: 9));
        // pairwise sum: 8 accumulators then the tail.
        var v = Enumerable.Range(1, 10).Select(i => 1.0 / i).ToArray();
        double r = ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7])) + v[8] + v[9];
        Assert.Equal(r, NumpyMath.PairwiseSum(v));
        Assert.Equal(0.5, NumpyMath.Linspace(0.5, 0.95, 10)[0]);
        Assert.Equal(0.95, NumpyMath.Linspace(0.5, 0.95, 10)[9]);
        Assert.Equal(0.75, NumpyMath.Linspace(0.5, 0.95, 10)[5]); // pycocotools' AP75 relies on this equality
    }
}
