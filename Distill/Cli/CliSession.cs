namespace YoloDistill.Distill.Cli;

/// <summary>
/// What <see cref="CliRunner"/> needs to know about the command it is running, gathered while it runs: the run folder
/// (for the error log) and whether --verbose was given. One per invocation, found through an AsyncLocal, so verbs run
/// by the demo and tests running in parallel each have their own.
/// </summary>
public sealed class CliSession : IDisposable
{
    static readonly AsyncLocal<CliSession?> Ambient = new();
    readonly CliSession? _outer;

    CliSession(CliSession? outer, bool verbose)
    {
        _outer = outer;
        Verbose = verbose;
    }

    /// <summary>The session of the command running in this flow, if any.</summary>
    public static CliSession? Current => Ambient.Value;

    /// <summary>Starts a session; a nested one (a demo stage) inherits --verbose.</summary>
    public static CliSession Begin(bool verbose)
    {
        var s = new CliSession(Ambient.Value, verbose || Ambient.Value?.Verbose == true);
        Ambient.Value = s;
        return s;
    }

    public bool Verbose { get; }

    /// <summary>The run folder of the command, once it has one (set by <see cref="RunDirectory"/> and the training console).</summary>
    public string? RunFolder { get; set; }

    public void Dispose() => Ambient.Value = _outer;
}
