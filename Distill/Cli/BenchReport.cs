using System.Text.Json;
using Spectre.Console;
using YoloDistill.Detector.Common;

namespace YoloDistill.Distill.Cli;

/// <summary>Where every bench verb's JSON result goes: indented, written atomically, its path reported.</summary>
static class BenchReport
{
    public static void Write(string path, object report)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        AnsiConsole.MarkupLine($"Results written to [bold]{Markup.Escape(path)}[/]");
    }
}
