using System.CommandLine;
using YoloDistill.Distill.Cli;

namespace YoloDistill.Distill.Tests.Cli;

/// <summary>An unexpected exception at the CLI boundary: one line naming the command and the error, exit 1, the trace in the run folder's log or under --verbose.</summary>
[Collection(ConsoleCollection.Name)]
public class CliRunnerTests
{
    static RootCommand Failing(string runDir)
    {
        var root = new RootCommand("test");
        root.Options.Add(Verbs.Verbose());
        var boom = new Command("boom");
        boom.SetAction(int (_) =>
        {
            RunDirectory.Resolve(runDir, "boom");
            throw new InvalidOperationException("the widget is in a bad state");
        });
        root.Subcommands.Add(boom);
        return root;
    }

    [Fact]
    public void Unexpected_error_prints_one_line_and_logs_the_trace_in_the_run_folder()
    {
        var dir = Path.Combine(Directory.CreateTempSubdirectory("boom").FullName, "run");
        var (code, output, error) = ConsoleCapture.Run(() => CliRunner.InvokeAsync(Failing(dir), ["boom"]));
        Assert.Equal(ExitCodes.Failure, code);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: `boom` failed: InvalidOperationException: the widget is in a bad state (raised in CliRunnerTests.cs:", line);
        Assert.EndsWith($"; full trace in {Interruption.Show(Path.Combine(dir, CliRunner.ErrorLog))}", line.TrimEnd());
        Assert.Equal("", error);
        var log = File.ReadAllText(Path.Combine(dir, CliRunner.ErrorLog));
        Assert.Contains("System.InvalidOperationException: the widget is in a bad state", log);
        Assert.Contains("   at ", log);
    }

    [Fact]
    public void Verbose_prints_the_full_trace()
    {
        var dir = Path.Combine(Directory.CreateTempSubdirectory("boom").FullName, "run");
        var (code, output, error) = ConsoleCapture.Run(() => CliRunner.InvokeAsync(Failing(dir), ["boom", "--verbose"]));
        Assert.Equal(ExitCodes.Failure, code);
        Assert.StartsWith("error: `boom` failed: InvalidOperationException", output);
        Assert.Contains("System.InvalidOperationException: the widget is in a bad state", error);
        Assert.Contains("   at ", error);
    }
}
