namespace YoloDistill.Distill.Cli;

/// <summary>
/// Ultralytics' habit for output folders: runs/&lt;verb&gt;/exp, exp2, exp3 ... unless --out is given. The folder becomes
/// the running command's run folder (<see cref="CliSession.RunFolder"/>), where an unexpected error's trace is logged.
/// </summary>
public static class RunDirectory
{
    public static string Resolve(string? explicitOut, string verb, string runsRoot = "runs")
    {
        var dir = Create(explicitOut, verb, runsRoot);
        if (CliSession.Current is { } session) session.RunFolder = dir;
        return dir;
    }

    static string Create(string? explicitOut, string verb, string runsRoot)
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
            var dir = Path.Combine(parent, n == 1 ? "exp" : $"exp{n}");
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
