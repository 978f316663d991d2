namespace YoloDistill.Distill.Demo;

/// <summary>
/// One step of the main job. A stage is finished when its marker file exists; the marker is written only after the
/// stage's command succeeded, so an interrupted run redoes (or resumes) just the unfinished stages.
/// </summary>
public sealed record DemoStage(string Name, string Title, Func<DemoContext, Task<int>> Run)
{
    public string Marker(DemoContext ctx) => Path.Combine(ctx.Out, ".stages", Name + ".done");
    public bool IsDone(DemoContext ctx) => File.Exists(Marker(ctx));

    public void MarkDone(DemoContext ctx)
    {
        var marker = Marker(ctx);
        Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
        File.WriteAllText(marker, DateTime.UtcNow.ToString("O"));
    }
}

/// <summary>What every stage needs: the options, the output folder and a way to run a yolo-distill verb in-process.</summary>
public sealed record DemoContext(DemoOptions Options, string Out, Func<string[], Task<int>> RunVerb)
{
    public string RunDir(string name) => Path.Combine(Out, name);
    public string BestWeights(string run) => Path.Combine(RunDir(run), "weights", "best.ckpt");
    public string LastWeights(string run) => Path.Combine(RunDir(run), "weights", "last.ckpt");
}
