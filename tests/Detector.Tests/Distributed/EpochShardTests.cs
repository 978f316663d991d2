using YoloDistill.Detector.Distributed;

namespace YoloDistill.Detector.Tests.Distributed;

public class EpochShardTests
{
    [Theory]
    [InlineData(10, 2)]
    [InlineData(11, 2)]
    [InlineData(11, 3)]
    [InlineData(5, 8)]
    public void Shards_cover_the_epoch_once_padded_to_equal_lengths_like_torchs_distributed_sampler(int n, int world)
    {
        var order = Enumerable.Range(0, n).Select(i => (i * 7 + 3) % n).ToArray(); // a permutation
        var shards = Enumerable.Range(0, world).Select(r => EpochShard.Of(order, r, world)).ToArray();
        int per = (n + world - 1) / world;
        Assert.All(shards, s => Assert.Equal(per, s.Length));
        var all = shards.SelectMany(s => s).ToArray();
        Assert.Equal(Enumerable.Range(0, n), all.Distinct().Order());           // every image at least once
        Assert.Equal(per * world - n, all.Length - all.Distinct().Count());    // and only the padding twice
        // torch: indices += indices[:padding]; rank r takes indices[r::world]
        var padded = order.Concat(order.Take(per * world - n)).ToArray();
        for (int r = 0; r < world; r++) Assert.Equal(padded.Where((_, i) => i % world == r), shards[r]);
    }

    [Fact]
    public void Without_padding_no_image_repeats_and_a_bad_rank_is_refused()
    {
        var order = Enumerable.Range(0, 11).ToArray();
        var a = EpochShard.Of(order, 0, 2, pad: false);
        var b = EpochShard.Of(order, 1, 2, pad: false);
        Assert.Equal(5, a.Length);
        Assert.Empty(a.Intersect(b));
        Assert.Throws<ArgumentOutOfRangeException>(() => EpochShard.Of(order, 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => EpochShard.Of(order, 0, 0));
    }
}
