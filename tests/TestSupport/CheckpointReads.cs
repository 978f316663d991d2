using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using YoloDistill.Detector.Weights;

namespace YoloDistill.Tests;

/// <summary>
/// Counts reads of checkpoint files while it lives, per full path, from <see cref="CheckpointMetrics"/>; tests running
/// in parallel read other files, so a test asks only about its own.
/// </summary>
public sealed class CheckpointReads : IDisposable
{
    readonly MeterListener listener = new();
    readonly ConcurrentDictionary<string, int> counts = new(StringComparer.Ordinal);

    public CheckpointReads()
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == CheckpointMetrics.MeterName && instrument.Name == CheckpointMetrics.ReadsInstrument)
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == CheckpointMetrics.PathTag && tag.Value is string path)
                    counts.AddOrUpdate(path, (int)value, (_, n) => n + (int)value);
        });
        listener.Start();
    }

    /// <summary>How often <paramref name="path"/> was read since this counter started.</summary>
    public int Of(string path) => counts.GetValueOrDefault(Path.GetFullPath(path));

    public void Dispose() => listener.Dispose();
}
