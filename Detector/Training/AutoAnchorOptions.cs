namespace YoloDistill.Detector.Training;

/// <summary>
/// Settings of AutoAnchor (Ultralytics v7.0 check_anchors and kmean_anchors), their defaults those of train.py.
/// </summary>
public sealed record AutoAnchorOptions
{
    /// <summary>hyp anchor_t: a box and an anchor match when neither side ratio exceeds it (4.0 in hyp.scratch-low).</summary>
    public double AnchorT { get; init; } = 4.0;
    /// <summary>check_anchors keeps the anchors when their best possible recall is above this.</summary>
    public double BprThreshold { get; init; } = 0.98;
    /// <summary>Genetic-evolution generations after k-means (check_anchors passes 1000).</summary>
    public int Generations { get; init; } = 1000;
    /// <summary>Probability that a given anchor coordinate is mutated in a generation (mp).</summary>
    public double MutationProbability { get; init; } = 0.9;
    /// <summary>Mutation sigma (s): a coordinate is multiplied by 1 + u*N(0,1)*sigma, u ~ U(0,1) per generation.</summary>
    public double Sigma { get; init; } = 0.1;
    /// <summary>scipy kmeans' iter: independent k-means runs, the best kept.</summary>
    public int KMeansRestarts { get; init; } = 30;
    /// <summary>Seeds k-means' initial centroids and the mutations: the same seed gives the same anchors.</summary>
    public int Seed { get; init; }
    /// <summary>
    /// When false, only the fit is measured (no k-means or evolution), e.g. when the anchors must stay as they are.
    /// </summary>
    public bool Evolve { get; init; } = true;

    public void Validate()
    {
        if (!(AnchorT > 1)) throw new ArgumentException($"anchor_t {AnchorT}: must be greater than 1.");
        if (Generations < 0) throw new ArgumentException($"generations {Generations}: must not be negative.");
        if (KMeansRestarts < 1) throw new ArgumentException($"k-means restarts {KMeansRestarts}: must be at least 1.");
    }
}
