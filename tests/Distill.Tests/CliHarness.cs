using YoloDistill.Distill.Cli;

namespace YoloDistill.Distill.Tests;

/// <summary>Runs yolo-distill command lines in-process, as the program does (same root, same error handling).</summary>
static class CliHarness
{
    public static Task<int> RunAsync(params string[] args) => CliRunner.InvokeAsync(Verbs.Root(), args);

    public static int Run(params string[] args) => RunAsync(args).GetAwaiter().GetResult();
}
