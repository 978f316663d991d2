using System.Diagnostics;
using YoloDistill.Detector.Common;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Inference;

/// <summary>Latency of one backend at batch 1: median and spread of a forward pass (pre- and post-processing excluded).</summary>
public sealed record LatencyResult(string Backend, int ImgSize, int Runs, double MedianMs, double MinMs, double P90Ms);

public static class InferenceBench
{
    /// <summary>Times <paramref name="runs"/> forwards of a (1,3,img,img) input after <paramref name="warmup"/> untimed ones.</summary>
    public static LatencyResult Measure(IDetectorBackend backend, int img, int runs = 50, int warmup = 5, IProgress<int>? progress = null)
    {
        if (runs < 1) throw new ArgumentException($"--runs {runs} must be at least 1.");
        using var x = full(new long[] { 1, 3, img, img }, 0.5f);
        for (int i = 0; i < warmup; i++) backend.Forward(x).Dispose();
        var ms = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            backend.Forward(x).Dispose();
            ms[i] = sw.Elapsed.TotalMilliseconds;
            progress?.Report(i + 1);
        }
        var (median, min, p90) = Summarise(ms);
        return new LatencyResult(backend.Name, img, runs, median, min, p90);
    }

    /// <summary>Median, minimum and 90th percentile (nearest rank) of timings.</summary>
    internal static (double Median, double Min, double P90) Summarise(double[] ms)
    {
        var s = SampleStats.Of(ms);
        return (s.Median, s.Min, s.P90);
    }
}
