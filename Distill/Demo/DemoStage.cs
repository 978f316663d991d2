using System.Globalization;

namespace YoloDistill.Distill.Demo;

/// <summary>
/// One step of the main job. A stage is finished when its marker file exists; the marker is written only after the
/// stage's command succeeded, so an interrupted run redoes (or resumes) just the unfinished stages. The marker holds the
/// stage's wall time, summed over the runs it took (an interrupted run's share is kept in a .partial file meanwhile).
/// </summary>
public sealed record DemoStage(string Name, string Title, Func<DemoContext, Task<int>> Run)
{
    public string Marker(DemoContext ctx) => Path.Combine(ctx.Out, ".stages", Name + ".done");
    string Partial(DemoContext ctx) => Path.Combine(ctx.Out, ".stages", Name + ".partial");
    public bool IsDone(DemoContext ctx) => File.Exists(Marker(ctx));

    public void MarkDone(DemoContext ctx, TimeSpan elapsed)
    {
        var marker = Marker(ctx);
        Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
        var seconds = elapsed.TotalSeconds + ReadSeconds(Partial(ctx));
        File.WriteAllText(marker, $"{DateTime.UtcNow:O}\n{seconds.ToString("R", CultureInfo.InvariantCulture)}\n");
        File.Delete(Partial(ctx));
    }

    /// <summary>Keeps the wall time of a run that stopped before the stage was finished.</summary>
    public void AddPartial(DemoContext ctx, TimeSpan elapsed)
    {
        var partial = Partial(ctx);
        Directory.CreateDirectory(Path.GetDirectoryName(partial)!);
        File.WriteAllText(partial, (elapsed.TotalSeconds + ReadSeconds(partial)).ToString("R", CultureInfo.InvariantCulture));
    }

    /// <summary>The finished stage's wall time, or null (not finished, or marked by an older version).</summary>
    public TimeSpan? WallTime(DemoContext ctx)
    {
        var marker = Marker(ctx);
        if (!File.Exists(marker)) return null;
        var lines = File.ReadAllLines(marker);
        return lines.Length > 1 && double.TryParse(lines[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? TimeSpan.FromSeconds(s) : null;
    }

    static double ReadSeconds(string path) =>
        File.Exists(path) && double.TryParse(File.ReadAllText(path), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : 0;
}

/// <summary>What every stage needs: the options, the output folder and a way to run a yolo-distill verb in-process.</summary>
public sealed record DemoContext(DemoOptions Options, string Out, Func<string[], Task<int>> RunVerb)
{
    public string RunDir(string name) => Path.Combine(Out, name);
    public string BestWeights(string run) => Path.Combine(RunDir(run), "weights", "best.ckpt");
    public string LastWeights(string run) => Path.Combine(RunDir(run), "weights", "last.ckpt");
}
