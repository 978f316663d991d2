using YoloDistill.Distill.Cli;

namespace YoloDistill.Distill.Tests;

/// <summary>Runs yolo-distill command lines in-process, as the program does (same root, same error handling).</summary>
static class CliHarness
{
    public static Task<int> RunAsync(params string[] args) => CliRunner.InvokeAsync(Verbs.Root(), args);

    public static int Run(params string[] args) => RunAsync(args).GetAwaiter().GetResult();

    /// <summary>Runs a command line and returns its exit code with what it printed (stdout and stderr together).</summary>
    public static (int Code, string Output) RunCaptured(params string[] args)
    {
        var (code, output, error) = ConsoleCapture.Run(() => RunAsync(args));
        return (code, output + error);
    }

    /// <summary>Runs a command line that must fail as a user error (exit 2) and returns its one-line message.</summary>
    public static string UserError(params string[] args)
    {
        var (code, output) = RunCaptured(args);
        Assert.True(code == CliRunner.UserError, $"exit {code}, expected {CliRunner.UserError}; output: {output}");
        return output;
    }
}
