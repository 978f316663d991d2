using System.CommandLine;
using Spectre.Console;

namespace YoloDistill.Distill.Cli;

/// <summary>A verb that is declared but not built yet: it says so and exits non-zero.</summary>
public static class NotBuilt
{
    public static Command Create(string name, string description)
    {
        var cmd = new Command(name, description + " (not built yet)");
        cmd.TreatUnmatchedTokensAsErrors = false;
        cmd.SetAction(_ =>
        {
            AnsiConsole.MarkupLine($"[yellow]yolo-distill {name}[/] is not built yet in this version.");
            return CliRunner.NotBuiltYet;
        });
        return cmd;
    }
}
