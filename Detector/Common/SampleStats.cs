namespace YoloDistill.Detector.Common;

/// <summary>
/// The summary every benchmark reports of repeated timings: count, median (the mean of the two middle values when the
/// count is even, as numpy.median), minimum, maximum, spread (max − min) and the 90th percentile (nearest rank).
/// </summary>
public sealed record SampleStats(int Count, double Median, double Min, double Max, double P90)
{
    public double Spread => Max - Min;

    public static SampleStats Of(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        if (s.Length == 0) return new SampleStats(0, double.NaN, double.NaN, double.NaN, double.NaN);
        return new SampleStats(s.Length, MedianOfSorted(s), s[0], s[^1], s[(int)Math.Min(s.Length - 1, Math.Ceiling(0.9 * s.Length) - 1)]);
    }

    /// <summary>The median alone; NaN for no values.</summary>
    public static double MedianOf(IEnumerable<double> values) => Of(values).Median;

    static double MedianOfSorted(double[] s) => s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
}
