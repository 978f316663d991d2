using YoloDistill.Detector.Data;

namespace YoloDistill.Detector.Training;

/// <summary>
/// scipy.cluster.vq.kmeans(obs, k, iter) as kmean_anchors calls it: <c>restarts</c> runs of Lloyd's algorithm, each
/// from k distinct observations drawn at random, each until the mean Euclidean distance to the nearest centroid
/// changes by at most 1e-5; centroids left without members are dropped (so fewer than k may come back); the run with
/// the lowest mean distance wins. The draws come from a seeded <see cref="SampleRng"/>, so a seed repeats its result
/// exactly, but scipy's draws (numpy's global RandomState) are not reproduced bit for bit. Plain arrays: the data are
/// a few thousand 2-D points and a dozen centroids, iterated thousands of times.
/// </summary>
public static class AnchorKMeans
{
    public const double Threshold = 1e-5;

    /// <param name="obs">Observations, x then y per point.</param>
    /// <param name="k">Centroids wanted.</param>
    /// <param name="restarts">scipy's iter: independent runs (30 in kmean_anchors).</param>
    /// <param name="rng">Draws the initial centroids.</param>
    /// <returns>The best codebook (x then y per centroid; at most k of them) and its mean distance.</returns>
    public static (double[] Codebook, double Distortion) Run(double[] obs, int k, int restarts, SampleRng rng)
    {
        int n = obs.Length / 2;
        if (k < 1 || k > n) throw new ArgumentException($"k-means: {k} centroids for {n} points.");
        double[]? best = null;
        double bestDist = double.PositiveInfinity;
        var code = new int[n];
        for (int run = 0; run < restarts; run++)
        {
            var book = new double[2 * k];
            var idx = DistinctIndices(rng, n, k);
            for (int c = 0; c < k; c++) { book[2 * c] = obs[2 * idx[c]]; book[2 * c + 1] = obs[2 * idx[c] + 1]; }
            var (codebook, dist) = Lloyd(obs, book, code);
            if (dist < bestDist)
            {
                bestDist = dist;
                best = codebook;
            }
        }
        return (best!, bestDist);
    }

    /// <summary>scipy's _kmeans: assign, average, drop empty centroids, until the mean distance settles.</summary>
    static (double[] Codebook, double Distortion) Lloyd(double[] obs, double[] book, int[] code)
    {
        int n = obs.Length / 2;
        double prev = double.PositiveInfinity, diff = double.PositiveInfinity, dist = 0;
        while (diff > Threshold)
        {
            int kk = book.Length / 2;
            double total = 0;
            for (int i = 0; i < n; i++)
            {
                double x = obs[2 * i], y = obs[2 * i + 1], bestD = double.PositiveInfinity;
                int bestC = 0;
                for (int c = 0; c < kk; c++)
                {
                    double dx = x - book[2 * c], dy = y - book[2 * c + 1], d = dx * dx + dy * dy;
                    if (d < bestD) { bestD = d; bestC = c; }
                }
                code[i] = bestC;
                total += Math.Sqrt(bestD);
            }
            dist = total / n;
            var sums = new double[2 * kk];
            var counts = new int[kk];
            for (int i = 0; i < n; i++)
            {
                sums[2 * code[i]] += obs[2 * i];
                sums[2 * code[i] + 1] += obs[2 * i + 1];
                counts[code[i]]++;
            }
            var next = new List<double>(2 * kk);
            for (int c = 0; c < kk; c++)
                if (counts[c] > 0) { next.Add(sums[2 * c] / counts[c]); next.Add(sums[2 * c + 1] / counts[c]); }
            book = [.. next];
            diff = Math.Abs(prev - dist);
            prev = dist;
        }
        return (book, dist);
    }

    /// <summary>k distinct indices in [0, n) (a partial Fisher–Yates shuffle), as rng.choice(n, k, replace=False).</summary>
    static int[] DistinctIndices(SampleRng rng, int n, int k)
    {
        var pool = Enumerable.Range(0, n).ToArray();
        var pick = new int[k];
        for (int i = 0; i < k; i++)
        {
            int j = i + rng.NextInt(n - i);
            (pool[i], pool[j]) = (pool[j], pool[i]);
            pick[i] = pool[i];
        }
        return pick;
    }
}
