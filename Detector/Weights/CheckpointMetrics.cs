using System.Diagnostics.Metrics;

namespace YoloDistill.Detector.Weights;

/// <summary>
/// Checkpoint reads as a .NET metric: every read of a checkpoint (Training's Checkpoint.Load, or
/// <see cref="WeightsFile.Load"/> on a .ckpt) reads and hashes the whole file, so a host watching
/// <see cref="ReadsInstrument"/> (tagged with the path) sees what its runs cost in I/O, and tests can check that
/// resuming reads the run's checkpoint once.
/// </summary>
public static class CheckpointMetrics
{
    /// <summary>Kept from when the type lived in Training: hosts subscribe by this name.</summary>
    public const string MeterName = "YoloDistill.Detector.Training";
    public const string ReadsInstrument = "yolo_distill.checkpoint.reads";
    /// <summary>The tag holding the full path of the checkpoint read.</summary>
    public const string PathTag = "path";

    static readonly Meter Meter = new(MeterName);
    static readonly Counter<long> Reads = Meter.CreateCounter<long>(ReadsInstrument, unit: "{read}", description: "Checkpoint files read and verified");

    internal static void RecordRead(string path) => Reads.Add(1, new KeyValuePair<string, object?>(PathTag, Path.GetFullPath(path)));
}
