using YoloDistill.Detector.Evaluation;

namespace YoloDistill.Detector.Tests.Evaluation;

public class MetricPlotsTests
{
    static void AssertPng(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 5000, $"{path} is only {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
    }

    [Fact]
    public void PrF1AndConfusionPlotsAreWrittenAsPng()
    {
        var rng = new Random(3);
        int n = 200;
        var tp = new bool[n * 10];
        var conf = new float[n];
        var cls = new float[n];
        for (int i = 0; i < n; i++)
        {
            conf[i] = (float)rng.NextDouble();
            cls[i] = rng.Next(3);
            for (int t = 0; t < 10; t++) tp[i * 10 + t] = rng.NextDouble() < conf[i] * (1 - t * 0.08);
        }
        var targets = Enumerable.Range(0, 90).Select(i => (float)(i % 3)).ToArray();
        var r = ApPerClass.Compute(tp, 10, conf, cls, targets);
        var cm = new ConfusionMatrix(3);
        cm.ProcessBatch([0, 0, 50, 50, 0.9f, 0, 100, 100, 150, 150, 0.8f, 2], [0, 0, 0, 50, 50, 1, 100, 100, 150, 150]);
        var dir = Directory.CreateTempSubdirectory("plots").FullName;
        var names = new Dictionary<int, string> { [0] = "person", [1] = "car", [2] = "dog" };
        MetricPlots.PrCurve(r, Path.Combine(dir, "PR_curve.png"), names);
        MetricPlots.F1Curve(r, Path.Combine(dir, "F1_curve.png"), names);
        MetricPlots.ConfusionMatrix(cm, Path.Combine(dir, "confusion_matrix.png"), ["person", "car", "dog"]);
        foreach (var f in new[] { "PR_curve.png", "F1_curve.png", "confusion_matrix.png" }) AssertPng(Path.Combine(dir, f));
        Directory.Delete(dir, true);
    }
}
