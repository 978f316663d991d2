using YoloDistill.Detector.Evaluation;

namespace YoloDistill.Detector.Tests.Evaluation;

public class DetectionMatcherTests
{
    static readonly float[] Iouv = DetectionMatcher.DefaultIouv;

    static bool[] Row(bool[] correct, int d) => correct.AsSpan(d * 10, 10).ToArray();

    [Fact]
    public void ThresholdsAreTorchLinspace()
    {
        Assert.Equal(10, Iouv.Length);
        Assert.Equal(0.5f, Iouv[0]);
        Assert.Equal(0.95f, Iouv[9]);
        Assert.Equal(0.75f, Iouv[5]);
    }

    [Fact]
    public void LowerIndexDetectionKeepsTheLabelAtLowThresholds()
    {
        // Label [0,0,100,100]; d0 IoU .64, d1 IoU .92. val.py de-duplicates labels after ordering matches by
        // detection index, so d0 takes the label while it qualifies (.50-.60) and d1 only above (.65-.90).
        float[] labels = [0, 0, 0, 100, 100];
        float[] dets = [0, 0, 100, 64, 0.9f, 0, 0, 0, 100, 92, 0.8f, 0];
        var c = DetectionMatcher.Process(dets, labels);
        Assert.Equal([true, true, true, false, false, false, false, false, false, false], Row(c, 0));
        Assert.Equal([false, false, false, true, true, true, true, true, true, false], Row(c, 1));
    }

    [Fact]
    public void ClassMismatchAndNoLabelsAreNeverCorrect()
    {
        float[] dets = [0, 0, 100, 100, 0.9f, 1];
        Assert.All(DetectionMatcher.Process(dets, [0, 0, 0, 100, 100]), Assert.False);
        Assert.All(DetectionMatcher.Process(dets, []), Assert.False);
        Assert.All(DetectionMatcher.Process(dets, [1, 0, 0, 100, 100]), Assert.True);
    }

    [Fact]
    public void MatchesALiteralPortOfProcessBatchOnRandomScenes()
    {
        var rng = new Random(7);
        for (int scene = 0; scene < 200; scene++)
        {
            int m = rng.Next(0, 6), n = rng.Next(0, 10);
            var labels = new float[m * 5];
            for (int i = 0; i < m; i++)
            {
                float x = rng.Next(0, 60), y = rng.Next(0, 60);
                labels[i * 5] = rng.Next(0, 2);
                labels[i * 5 + 1] = x; labels[i * 5 + 2] = y; labels[i * 5 + 3] = x + rng.Next(10, 40); labels[i * 5 + 4] = y + rng.Next(10, 40);
            }
            var dets = new float[n * 6];
            for (int i = 0; i < n; i++)
            {
                if (m > 0 && rng.NextDouble() < 0.7)
                {
                    int l = rng.Next(m); // near a label, sometimes an exact copy (ties)
                    int j = rng.NextDouble() < 0.3 ? 0 : rng.Next(-6, 7);
                    dets[i * 6] = labels[l * 5 + 1] + j; dets[i * 6 + 1] = labels[l * 5 + 2];
                    dets[i * 6 + 2] = labels[l * 5 + 3]; dets[i * 6 + 3] = labels[l * 5 + 4] + j;
                }
                else
                {
                    float x = rng.Next(0, 60), y = rng.Next(0, 60);
                    dets[i * 6] = x; dets[i * 6 + 1] = y; dets[i * 6 + 2] = x + rng.Next(10, 40); dets[i * 6 + 3] = y + rng.Next(10, 40);
                }
                dets[i * 6 + 4] = (float)rng.NextDouble();
                dets[i * 6 + 5] = rng.Next(0, 2);
            }
            Assert.Equal(Literal(dets, labels), DetectionMatcher.Process(dets, labels));
        }
    }

    /// <summary>val.py process_batch step by step: where, argsort()[::-1] (stable, reversed), unique(return_index) twice.</summary>
    static bool[] Literal(float[] dets, float[] labels)
    {
        int n = dets.Length / 6, m = labels.Length / 5;
        var correct = new bool[n * 10];
        var iou = DetectionMatcher.BoxIou(labels, m, 5, 1, dets, n, 6, 0);
        for (int t = 0; t < 10; t++)
        {
            var matches = new List<(int l, int d, float v)>();
            for (int l = 0; l < m; l++)
                for (int d = 0; d < n; d++)
                    if (iou[l * n + d] >= Iouv[t] && labels[l * 5] == dets[d * 6 + 5]) matches.Add((l, d, iou[l * n + d]));
            if (matches.Count > 1)
            {
                var asc = matches.Select((x, i) => (x, i)).OrderBy(p => p.x.v).ThenBy(p => p.i).Select(p => p.x).ToList();
                asc.Reverse();
                matches = asc.Select((x, i) => (x, i)).GroupBy(p => p.x.d).OrderBy(g => g.Key).Select(g => g.First().x).ToList();
                matches = matches.Select((x, i) => (x, i)).GroupBy(p => p.x.l).OrderBy(g => g.Key).Select(g => g.First().x).ToList();
            }
            foreach (var x in matches) correct[x.d * 10 + t] = true;
        }
        return correct;
    }
}
