using System.Diagnostics;
using OpenCvSharp;

namespace YoloDistill.Detector.Inference;

/// <summary>
/// Per-frame latency of <see cref="YoloDetector.Detect(Mat)"/>, everything a caller waits for: letterbox, forward,
/// NMS and the result records. <see cref="RssGrowthMb"/>: resident memory gained over the timed calls.
/// </summary>
public sealed record ApiLatencyResult(string Backend, int ImgSize, int Runs, double MedianMs, double MinMs, double P90Ms,
    int Detections, double RssGrowthMb);

public static class ApiLatency
{
    /// <summary>Times <paramref name="runs"/> calls on <paramref name="image"/> after <paramref name="warmup"/> untimed ones.</summary>
    public static ApiLatencyResult Measure(YoloDetector detector, Mat image, int runs = 30, int warmup = 3, IProgress<int>? progress = null)
    {
        if (runs < 1) throw new ArgumentException($"--runs {runs} must be at least 1.");
        int found = 0;
        for (int i = 0; i < warmup; i++) found = detector.Detect(image).Count;
        long rss0 = Rss();
        var ms = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            found = detector.Detect(image).Count;
            ms[i] = sw.Elapsed.TotalMilliseconds;
            progress?.Report(i + 1);
        }
        double grown = (Rss() - rss0) / (1024.0 * 1024.0);
        var (median, min, p90) = InferenceBench.Summarise(ms);
        return new ApiLatencyResult(detector.BackendName, detector.ImageSize, runs, median, min, p90, found, Math.Round(grown, 1));
    }

    static long Rss()
    {
        using var p = Process.GetCurrentProcess();
        return p.WorkingSet64;
    }
}
