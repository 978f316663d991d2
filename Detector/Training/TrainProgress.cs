namespace YoloDistill.Detector.Training;

/// <summary>
/// One training step as the progress bar shows it: running mean losses (the extensions' by column name), speed, time
/// left, memory.
/// </summary>
public sealed record TrainStepProgress(
    int Epoch, int Epochs, int Batch, int Batches, double Box, double Obj, double Cls,
    IReadOnlyList<KeyValuePair<string, double>> Extra, int Instances, int ImgSize, double ImagesPerSecond, TimeSpan EpochEta, long RssBytes);

/// <summary>A finished epoch: its results row, fitness, whether it is the best so far, and how long it took.</summary>
public sealed record TrainEpochProgress(EpochResult Result, double Fitness, bool IsBest, bool Validated, TimeSpan Elapsed);

/// <summary>How a run ended.</summary>
public sealed record TrainSummary(
    int EpochsCompleted, int BestEpoch, double BestFitness, EpochResult? Last, string LastCheckpoint, string BestCheckpoint,
    string SaveDir, TimeSpan Elapsed, bool StoppedEarly)
{
    /// <summary>The rows of results.csv this call trained, in order (a resumed run's earlier epochs are in the file only).</summary>
    public IReadOnlyList<EpochResult> Epochs { get; init; } = [];
}

/// <summary>The loss became NaN or infinite: training stops, the last checkpoint written before it is kept as it was.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
