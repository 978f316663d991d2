using System.Diagnostics;
using YoloDistill.Detector.Data;

namespace YoloDistill.Detector.Training;

/// <summary>What <see cref="AnchorEvolution.Run"/> found.</summary>
/// <param name="Anchors">n anchors in pixels, sorted by area (small to large), float32 as kmean_anchors returns them.</param>
/// <param name="Fitness">Fitness of the result on the boxes evolution saw (at least 2 px on one side).</param>
/// <param name="KMeansFitness">Fitness of the k-means starting point, before evolution.</param>
/// <param name="Fit">BPR, AAT and fitness of the result on every box.</param>
/// <param name="BoxesUsed">Boxes at least 2 px on one side (those k-means and evolution use).</param>
/// <param name="SmallBoxes">Boxes under 3 px on some side (kmean_anchors warns about them).</param>
/// <param name="RandomInit">True when k-means could not give n centroids and the random start was used.</param>
/// <param name="Elapsed">Wall time of k-means and evolution.</param>
public sealed record EvolvedAnchors(float[][] Anchors, double Fitness, double KMeansFitness, AnchorFit Fit, int BoxesUsed, int SmallBoxes,
                                    bool RandomInit, TimeSpan Elapsed);

/// <summary>
/// Ultralytics v7.0 kmean_anchors: boxes under 2 px on both sides are left out, the rest whitened by their standard
/// deviation and clustered into n centroids by k-means (<see cref="AnchorKMeans"/>), then a genetic algorithm mutates
/// the anchors for a number of generations and keeps a mutation whenever it raises the fitness. Seeded: a seed gives
/// the same anchors every time (the draws differ from numpy's, so Ultralytics' exact anchors are not reproduced).
/// </summary>
public static class AnchorEvolution
{
    /// <param name="wh">Box sizes in pixels at the training size (w then h per box).</param>
    /// <param name="n">Anchors wanted (9 for 3 levels of 3).</param>
    /// <param name="imgSize">Training size (scales the random start when k-means falls short).</param>
    /// <param name="o">anchor_t, generations, mutation settings and seed.</param>
    public static EvolvedAnchors Run(float[] wh, int n, int imgSize, AutoAnchorOptions o)
    {
        o.Validate();
        var watch = Stopwatch.StartNew();
        var rng = new SampleRng(o.Seed, 0x41414e43); // "AANC": a stream of its own
        int total = wh.Length / 2, small = 0;
        var keptList = new List<float>(wh.Length);
        for (int i = 0; i < total; i++)
        {
            float w = wh[2 * i], h = wh[2 * i + 1];
            if (w < 3 || h < 3) small++;
            if (w >= 2 || h >= 2) { keptList.Add(w); keptList.Add(h); }
        }
        var kept = keptList.ToArray();
        int used = kept.Length / 2;

        var k = KMeansStart(kept, n, imgSize, o, rng, out bool randomInit);
        double f = Fitness(kept, k, o.AnchorT);
        double kmeansFitness = f;
        var v = new double[k.Length];
        var kg = new double[k.Length];
        for (int gen = 0; gen < o.Generations; gen++)
        {
            // Mutate until something changes (no duplicate candidates), as kmean_anchors does.
            bool changed = false;
            while (!changed)
            {
                double u = rng.NextDouble();
                for (int j = 0; j < v.Length; j++)
                {
                    bool mutate = rng.NextDouble() < o.MutationProbability;
                    double g = rng.Normal();
                    v[j] = Math.Clamp((mutate ? 1.0 : 0.0) * u * g * o.Sigma + 1, 0.3, 3.0);
                    changed |= v[j] != 1;
                }
            }
            for (int j = 0; j < k.Length; j++) kg[j] = Math.Max(k[j] * v[j], 2.0);
            double fg = Fitness(kept, kg, o.AnchorT);
            if (fg > f)
            {
                f = fg;
                (k, kg) = (kg, k);
            }
        }

        int rows = k.Length / 2;
        var sorted = Enumerable.Range(0, rows).OrderBy(i => k[2 * i] * k[2 * i + 1]).Select(i => new[] { (float)k[2 * i], (float)k[2 * i + 1] }).ToArray();
        var fit = AnchorFit.Measure(wh, sorted.SelectMany(a => a).ToArray(), o.AnchorT);
        return new EvolvedAnchors(sorted, f, kmeansFitness, fit, used, small, randomInit, watch.Elapsed);
    }

    /// <summary>k-means on the whitened sizes; the sorted random start of kmean_anchors when it cannot give n centroids.</summary>
    static double[] KMeansStart(float[] kept, int n, int imgSize, AutoAnchorOptions o, SampleRng rng, out bool randomInit)
    {
        randomInit = false;
        int m = kept.Length / 2;
        if (n <= m)
        {
            // Whitening by the population standard deviation (numpy's std, ddof 0).
            var sd = new double[2];
            for (int c = 0; c < 2; c++)
            {
                double mean = 0, var = 0;
                for (int i = 0; i < m; i++) mean += kept[2 * i + c];
                mean /= m;
                for (int i = 0; i < m; i++) { double d = kept[2 * i + c] - mean; var += d * d; }
                sd[c] = Math.Sqrt(var / m);
            }
            if (sd[0] > 0 && sd[1] > 0)
            {
                var obs = new double[2 * m];
                for (int i = 0; i < m; i++) { obs[2 * i] = kept[2 * i] / sd[0]; obs[2 * i + 1] = kept[2 * i + 1] / sd[1]; }
                var (book, _) = AnchorKMeans.Run(obs, n, o.KMeansRestarts, rng);
                if (book.Length == 2 * n)
                {
                    for (int i = 0; i < n; i++) { book[2 * i] *= sd[0]; book[2 * i + 1] *= sd[1]; }
                    return book;
                }
            }
        }
        randomInit = true;
        return Enumerable.Range(0, 2 * n).Select(_ => rng.NextDouble()).Order().Select(r => r * imgSize).ToArray();
    }

    /// <summary>anchor_fitness(k): the anchors cast to float32, as torch.tensor(k, dtype=torch.float32).</summary>
    static double Fitness(float[] wh, double[] k, double anchorT) =>
        AnchorFit.FitnessOf(wh, k.Select(x => (float)x).ToArray(), anchorT);
}
