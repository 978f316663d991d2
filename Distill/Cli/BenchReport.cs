using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using YoloDistill.Detector.Common;

namespace YoloDistill.Distill.Cli;

/// <summary>
/// Where every bench verb's JSON result goes, in one envelope: the verb, the date (UTC), the git commit of the working
/// directory, the machine (CPU, vector ISA, cores, memory, OS), torch's threads and the 1-minute load average at the end,
/// then the verb's own fields. Indented, written atomically, its path reported.
/// </summary>
static class BenchReport
{
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Write(string path, string bench, object result)
    {
        var m = MachineInfo.Current();
        var root = new JsonObject
        {
            ["bench"] = bench,
            ["date"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
            ["git_commit"] = GitCommit(),
            ["machine"] = new JsonObject
            {
                ["cpu"] = m.CpuModel, ["vector_isa"] = m.VectorIsa, ["cores"] = m.Cores,
                ["memory_gib"] = Math.Round(m.MemoryGiB, 1), ["os"] = m.Os,
            },
            ["threads"] = m.TorchThreads,
            ["load_average"] = MachineInfo.LoadAverage(),
        };
        if (JsonSerializer.SerializeToNode(result, Indented) is JsonObject fields)
            foreach (var (k, v) in fields.ToArray())
            {
                fields.Remove(k);
                root[k] = v;
            }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.WriteAllText(path, root.ToJsonString(Indented));
        AnsiConsole.MarkupLine($"Results written to [bold]{Markup.Escape(path)}[/]");
    }

    /// <summary>HEAD's commit (with "+dirty" for uncommitted changes), or null outside a git checkout.</summary>
    static string? GitCommit()
    {
        try
        {
            string? Git(string args)
            {
                using var p = Process.Start(new ProcessStartInfo("git", args) { RedirectStandardOutput = true, RedirectStandardError = true });
                if (p is null) return null;
                var output = p.StandardOutput.ReadToEnd().Trim();
                p.WaitForExit();
                return p.ExitCode == 0 ? output : null;
            }
            var head = Git("rev-parse HEAD");
            if (head is null) return null;
            return Git("status --porcelain --untracked-files=no") is { Length: > 0 } ? head + "+dirty" : head;
        }
        catch (System.ComponentModel.Win32Exception) { return null; } // no git on the machine
    }
}
