using System.CommandLine;
using Spectre.Console;

namespace YoloDistill.Distill.Cli;

/// <summary>
/// Runs the parsed command and turns the errors users can cause (bad files, bad options) into one clear
/// message and a non-zero exit code instead of a stack trace.
/// </summary>
public static class CliRunner
{
    public const int UserError = 2;

    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        try
        {
            var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
            return await root.Parse(args).InvokeAsync(config);
        }
        catch (Exception e) when (IsUserError(e))
        {
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return UserError;
        }
    }

    static bool IsUserError(Exception e) =>
        e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or ArgumentException
            or UserFacingException or IOException or UnauthorizedAccessException or FormatException;
}

/// <summary>An error whose message is meant for the user as it is (names the file and the problem).</summary>
public class UserFacingException(string message, Exception? inner = null) : Exception(message, inner);
