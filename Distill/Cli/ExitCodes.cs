using System.Runtime.InteropServices;

namespace YoloDistill.Distill.Cli;

/// <summary>The exit codes of yolo-distill (documented in the README).</summary>
public static class ExitCodes
{
    /// <summary>The command did its work.</summary>
    public const int Done = 0;
    /// <summary>An unexpected failure (a bug or an environment problem); the message names what failed.</summary>
    public const int Failure = 1;
    /// <summary>Bad input or arguments: a missing or damaged file, an invalid option value.</summary>
    public const int BadInput = 2;
    /// <summary>Stopped by SIGINT (Ctrl-C): 128 + 2, as shells report it.</summary>
    public const int Interrupted = 130;
    /// <summary>Stopped by SIGTERM (timeout, docker stop, Kubernetes, batch schedulers): 128 + 15.</summary>
    public const int Terminated = 143;

    /// <summary>The exit code of a run stopped by <paramref name="signal"/>.</summary>
    public static int ForSignal(PosixSignal signal) => signal == PosixSignal.SIGINT ? Interrupted : Terminated;
}
