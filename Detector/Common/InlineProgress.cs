namespace YoloDistill.Detector.Common;

/// <summary>
/// IProgress that runs its handler on the reporting thread, in order (Progress&lt;T&gt; would post to the thread pool).
/// With a <paramref name="stop"/> token, a report after a stop request throws OperationCanceledException, which ends the
/// reporting loop there (benchmarks: the step in progress is done, nothing half-measured is written).
/// </summary>
public sealed class InlineProgress<T>(Action<T> handler, CancellationToken stop = default) : IProgress<T>
{
    public void Report(T value)
    {
        handler(value);
        stop.ThrowIfCancellationRequested();
    }
}
