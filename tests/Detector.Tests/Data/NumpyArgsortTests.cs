using YoloDistill.Detector.Data;

namespace YoloDistill.Detector.Tests.Data;

public class NumpyArgsortTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(15, 2)]
    [InlineData(200, 3)]
    [InlineData(5000, 4)]
    public void Sorts_ascending_and_returns_a_permutation(int n, int seed)
    {
        var rng = new Random(seed);
        var v = Enumerable.Range(0, n).Select(_ => Math.Round(rng.NextDouble() * 10) / 10).ToArray(); // many ties
        var order = NumpyArgsort.Quicksort(v);
        Assert.Equal(Enumerable.Range(0, n), order.Order());
        for (int i = 1; i < n; i++) Assert.True(v[order[i - 1]] <= v[order[i]]);
    }

    [Fact]
    public void Small_arrays_use_insertion_sort_so_ties_keep_their_order()
    {
        double[] v = [2, 1, 2, 1, 0, 2, 1];
        Assert.Equal([4, 1, 3, 6, 0, 2, 5], NumpyArgsort.Quicksort(v));
    }

    [Fact]
    public void Nan_sorts_last()
    {
        double[] v = [double.NaN, 3, 1, double.NaN, 2];
        var order = NumpyArgsort.Quicksort(v);
        Assert.Equal([2, 4, 1], order[..3]);
        Assert.True(double.IsNaN(v[order[3]]) && double.IsNaN(v[order[4]]));
    }

    [Fact]
    public void Larger_arrays_do_not_keep_ties_in_order()
    {
        // 17 equal values take one median-of-3 partition step, which moves the middle element to the end.
        var order = NumpyArgsort.Quicksort(Enumerable.Repeat(1.0, 17).ToArray());
        Assert.NotEqual(Enumerable.Range(0, 17), order);
    }
}
