using YoloDistill.Detector.Common;

namespace YoloDistill.Detector.Tests.Common;

public class SampleStatsTests
{
    [Fact]
    public void Median_is_numpys_for_odd_and_even_counts_and_p90_the_nearest_rank()
    {
        var odd = SampleStats.Of([5, 1, 3]);
        Assert.Equal((3, 3.0, 1.0, 5.0, 4.0, 5.0), (odd.Count, odd.Median, odd.Min, odd.Max, odd.Spread, odd.P90));
        var even = SampleStats.Of([4, 1, 3, 2]);
        Assert.Equal(2.5, even.Median); // numpy.median([4, 1, 3, 2]); the upper middle value would be 3
        var ten = SampleStats.Of(Enumerable.Range(1, 10).Select(i => (double)i));
        Assert.Equal(9.0, ten.P90);
        Assert.True(double.IsNaN(SampleStats.Of([]).Median));
    }
}
