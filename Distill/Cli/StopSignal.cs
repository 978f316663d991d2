using System.Runtime.InteropServices;

namespace YoloDistill.Distill.Cli;

/// <summary>
/// SIGINT (Ctrl-C) and SIGTERM (timeout, docker stop, Kubernetes evictions, batch schedulers' pre-emption) as an
/// ordinary end of a command. The first signal cancels <see cref="Token"/>: a verb that takes the token stops at its
/// next safe point (after the current batch or frame), keeps what is consistent and throws an <see cref="Interruption"/>,
/// which <see cref="CliRunner"/> reports in one line before exiting with 130 or 143. A verb that does not take the token
/// (nothing long, nothing worth saving) is ended at once. A second signal while stopping ends the process at once;
/// checkpoints are written to a temporary file and renamed, so the last one written stays intact.
/// </summary>
public sealed class StopSignal : IDisposable
{
    readonly CancellationTokenSource _cts = new();
    readonly PosixSignalRegistration[] _registrations;
    readonly Action<int> _exitNow;
    int _signal; // 0 until the first request, then the PosixSignal (a negative number)
    string _command = "the command";
    bool _stopsAtSafePoints = true;

    StopSignal(Action<int> exitNow, bool listen)
    {
        _exitNow = exitNow;
        _registrations = listen
            ? [PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal)]
            : [];
    }

    /// <summary>Handles SIGINT and SIGTERM for the life of the returned object (the program holds one).</summary>
    public static StopSignal Listen() => new(ExitImmediately, listen: true);

    /// <summary>A stop signal raised only through <see cref="Request"/> (tests); <paramref name="exitNow"/> stands in for ending the process.</summary>
    public static StopSignal Manual(Action<int>? exitNow = null) => new(exitNow ?? (_ => { }), listen: false);

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _cts.Token;
    public bool Requested => Volatile.Read(ref _signal) != 0;
    public PosixSignal? Signal => Requested ? (PosixSignal)Volatile.Read(ref _signal) : null;
    /// <summary>130 after SIGINT, 143 after SIGTERM.</summary>
    public int ExitCode => ExitCodes.ForSignal(Signal ?? PosixSignal.SIGTERM);
    public string SignalName => Name(Signal ?? PosixSignal.SIGTERM);

    /// <summary>
    /// Names the command being run and says whether it stops at safe points (it takes the cancellation token);
    /// one that does not is ended at once by the first signal.
    /// </summary>
    public void Attach(string command, bool stopsAtSafePoints)
    {
        _command = command;
        Volatile.Write(ref _stopsAtSafePoints, stopsAtSafePoints);
    }

    /// <summary>What the first SIGINT or SIGTERM does; the second ends the process at once.</summary>
    public void Request(PosixSignal signal)
    {
        if (Interlocked.CompareExchange(ref _signal, (int)signal, 0) != 0)
        {
            EndNow(signal, $"second {Name(signal)}: ending at once; checkpoints already written stay intact.");
            return;
        }
        if (!Volatile.Read(ref _stopsAtSafePoints))
        {
            EndNow(signal, $"stopped by {Name(signal)}: `{_command}` was ended at once (it keeps no partial work); to continue: {Interruption.SameCommand}");
            return;
        }
        Console.Error.WriteLine($"{Name(signal)}: stopping at the next safe point (a second signal ends at once) ...");
        // Cancellation callbacks run on the thread pool, so this handler returns at once and can see a second signal.
        _ = _cts.CancelAsync();
    }

    void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        Request(context.Signal);
    }

    void EndNow(PosixSignal signal, string message)
    {
        if (!Console.IsOutputRedirected) Console.Out.Write("\u001b[?25h"); // a live progress display hides the cursor
        Console.Out.Flush();
        Console.Error.WriteLine(message);
        _exitNow(ExitCodes.ForSignal(signal));
    }

    static string Name(PosixSignal s) => s == PosixSignal.SIGINT ? "SIGINT" : "SIGTERM";

    /// <summary>
    /// _exit(2): ends the process without running exit handlers, which could wait on threads busy in native code.
    /// Nothing is lost that a cooperative stop would keep: files are either written whole (atomic checkpoints) or
    /// are the next run's to redo.
    /// </summary>
    static void ExitImmediately(int code) => NativeExit(code);

    [DllImport("libc", EntryPoint = "_exit")]
    static extern void NativeExit(int code);

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _cts.Dispose();
    }
}
