namespace YoloDistill.Distill.Cli;

/// <summary>IProgress that runs its handler on the reporting thread, in order (Progress&lt;T&gt; would post to the thread pool).</summary>
public sealed class InlineProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
