namespace YoloDistill.Detector.Distributed;

/// <summary>
/// torch's DistributedSampler for one epoch: every rank takes the same permutation (same seed, same epoch) and keeps
/// the positions rank, rank + world, rank + 2·world, ... The order is padded with its own first indices to a multiple
/// of the world size, so every rank has the same number of images (and of batches) and none waits at a collective
/// that another never reaches; without padding (drop the tail) the ranks still cover each image at most once.
/// </summary>
public static class EpochShard
{
    public static int[] Of(IReadOnlyList<int> order, int rank, int worldSize, bool pad = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(worldSize);
        if (rank < 0 || rank >= worldSize) throw new ArgumentOutOfRangeException(nameof(rank), $"rank {rank} is not in 0..{worldSize - 1}");
        int n = order.Count;
        int total = pad ? (n + worldSize - 1) / worldSize * worldSize : n / worldSize * worldSize;
        var shard = new int[total / worldSize];
        for (int i = 0; i < shard.Length; i++) shard[i] = order[(rank + i * worldSize) % n];
        return shard;
    }
}
