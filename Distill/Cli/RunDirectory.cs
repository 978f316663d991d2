namespace YoloDistill.Distill.Cli;

/// <summary>
/// Ultralytics' habit for output folders: &lt;project&gt;/&lt;verb&gt;/&lt;name&gt;, &lt;name&gt;2, ... (runs/train/exp, exp2)
/// unless --out is given. The folder becomes
/// the running command's run folder (<see cref="CliSession.RunFolder"/>), where an unexpected error's trace is logged.
/// </summary>
public static class RunDirectory
{
    public static string Resolve(string? explicitOut, string verb, string runsRoot = "runs", string name = "exp")
    {
        if (string.IsNullOrWhiteSpace(name) || name.IndexOfAny(['/', '\\']) >= 0 || name is "." or "..")
            throw new ArgumentException($"--name '{name}': a plain folder name is needed.");
        var dir = Create(explicitOut, verb, runsRoot, name);
        if (CliSession.Current is { } session) session.RunFolder = dir;
        return dir;
    }

    static string Create(string? explicitOut, string verb, string runsRoot, string name)
    {
        if (!string.IsNullOrWhiteSpace(explicitOut))
        {
            Directory.CreateDirectory(explicitOut);
            return Path.GetFullPath(explicitOut);
        }
        var parent = Path.Combine(runsRoot, verb);
        Directory.CreateDirectory(parent);
        for (int n = 1; ; n++)
        {
            var dir = Path.Combine(parent, n == 1 ? name : $"{name}{n}");
            try
            {
                if (Directory.Exists(dir)) continue;
                Directory.CreateDirectory(dir);
                return Path.GetFullPath(dir);
            }
            catch (IOException) when (Directory.Exists(dir)) { }
        }
    }
}
