using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Diagnostics;
using Spectre.Console;

namespace YoloDistill.Distill.Cli;

/// <summary>
/// Runs the parsed command and turns its ends into one clear line and an exit code (<see cref="ExitCodes"/>), never a
/// stack trace: errors users can cause (bad files, bad options) exit 2; a stop by SIGINT or SIGTERM prints where it
/// stopped, where the work is and what continues it, and exits 130 or 143; anything else prints what failed and exits 1,
/// with the full trace only under --verbose or in the run folder's error.log.
/// </summary>
public static class CliRunner
{
    public const int UserError = ExitCodes.BadInput;
    public const string VerboseName = "--verbose";
    public const string ErrorLog = "error.log";

    // System.CommandLine's own SIGINT/SIGTERM handling is off: it would return 143 after 2 s while the command still
    // runs (a checkpoint half-written when the process ends). StopSignal handles both.
    static InvocationConfiguration Config => new() { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };

    /// <summary>The program: handles SIGINT and SIGTERM for the whole run.</summary>
    public static async Task<int> RunProgramAsync(string[] args)
    {
        // Under mpirun or srun every rank runs this program; rank 0 alone prints progress and results, as train.py's
        // RANK in {-1, 0} does. Errors still reach stderr from any rank.
        if (Detector.Distributed.ProcessGroup.LaunchedRank() != 0)
            AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) });
        using var stop = StopSignal.Listen();
        return await InvokeAsync(Verbs.Root(), args, stop);
    }

    /// <summary>Runs a command line; with a <paramref name="stop"/>, its verb can be stopped by it.</summary>
    public static async Task<int> InvokeAsync(RootCommand root, string[] args, StopSignal? stop = null)
    {
        var pr = root.Parse(args);
        stop?.Attach(CommandName(pr), stopsAtSafePoints: pr.Action is AsynchronousCommandLineAction);
        return await RunAsync(pr, stop, stop?.Token ?? default);
    }

    /// <summary>
    /// Runs a verb from another verb (the demo's stages), in-process, with the same handling of errors; a stop
    /// requested through <paramref name="ct"/> propagates to the caller as an <see cref="OperationCanceledException"/>
    /// (an <see cref="Interruption"/> when the verb said where it stopped).
    /// </summary>
    public static Task<int> InvokeStageAsync(string[] args, CancellationToken ct) => RunAsync(Verbs.Root().Parse(args), stop: null, ct);

    static async Task<int> RunAsync(ParseResult pr, StopSignal? stop, CancellationToken ct)
    {
        using var session = CliSession.Begin(Verbose(pr));
        try
        {
            return await pr.InvokeAsync(Config, ct);
        }
        catch (Exception e) when (ct.IsCancellationRequested && IsStop(e))
        {
            if (stop is null) throw;
            PrintLine((e as Interruption ?? Interruption.Generic(CommandName(pr), e)).Line(stop.SignalName), Color.Yellow);
            return stop.ExitCode;
        }
        catch (Exception e) when (IsUserError(e))
        {
            PrintLine("error: " + e.Message, Color.Red);
            return UserError;
        }
        catch (Exception e)
        {
            ReportFailure(e, CommandName(pr), session);
            return ExitCodes.Failure;
        }
    }

    static bool IsUserError(Exception e) =>
        e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or ArgumentException
            or UserFacingException or IOException or UnauthorizedAccessException or FormatException;

    static bool IsStop(Exception e) =>
        e is OperationCanceledException
        || e is AggregateException a && a.Flatten().InnerExceptions.All(x => x is OperationCanceledException);

    /// <summary>One line: the command, the error and where in the code it was raised; the trace under --verbose or in the log.</summary>
    static void ReportFailure(Exception e, string command, CliSession session)
    {
        var inner = e is AggregateException a && a.InnerExceptions.Count == 1 ? a.InnerExceptions[0] : e;
        var frame = new StackTrace(inner, fNeedFileInfo: true).GetFrames().FirstOrDefault(f => f.GetFileName() is not null);
        var at = frame is null ? "" : $" (raised in {Path.GetFileName(frame.GetFileName())}:{frame.GetFileLineNumber()})";
        var log = WriteLog(e, session.RunFolder);
        var trace = session.Verbose ? "" : log is not null ? $"; full trace in {Interruption.Show(log)}" : $"; run with {VerboseName} for the full trace";
        PrintLine($"error: `{command}` failed: {inner.GetType().Name}: {inner.Message}{at}{trace}", Color.Red);
        if (session.Verbose) Console.Error.WriteLine(e);
    }

    /// <summary>One line, never wrapped (Spectre wraps at 80 columns when the output is not a terminal), coloured on a terminal.</summary>
    static void PrintLine(string text, Color color)
    {
        if (AnsiConsole.Profile.Capabilities.Ansi && !Console.IsOutputRedirected) AnsiConsole.MarkupLine($"[{color.ToMarkup()}]{Markup.Escape(text)}[/]");
        else Console.Out.WriteLine(text);
    }

    static string? WriteLog(Exception e, string? runFolder)
    {
        if (runFolder is null || !Directory.Exists(runFolder)) return null;
        try
        {
            var path = Path.Combine(runFolder, ErrorLog);
            File.AppendAllText(path, $"{DateTime.Now:O} yolo-distill {string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}\n{e}\n\n");
            return path;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    static bool Verbose(ParseResult pr) =>
        pr.RootCommandResult.Command.Options.OfType<Option<bool>>().FirstOrDefault(o => o.Name == VerboseName) is { } v && pr.GetValue(v);

    /// <summary>"train", "bench train-step": the verb's words as typed.</summary>
    static string CommandName(ParseResult pr)
    {
        var names = new List<string>();
        for (var c = pr.CommandResult; c.Parent is CommandResult parent; c = parent) names.Insert(0, c.Command.Name);
        return names.Count == 0 ? "yolo-distill" : string.Join(' ', names);
    }
}

/// <summary>An error whose message is meant for the user as it is (names the file and the problem).</summary>
public class UserFacingException(string message, Exception? inner = null) : Exception(message, inner);
