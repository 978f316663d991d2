using Spectre.Console;
using Spectre.Console.Rendering;

namespace YoloDistill.Distill.Cli;

/// <summary>A progress column showing the task's speed as images per second (the task's value counts images).</summary>
public sealed class ImagesPerSecondColumn : ProgressColumn
{
    public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
        new Markup(task.Speed is { } s ? $"[blue]{s:0.0} img/s[/]" : "[grey]-- img/s[/]");
}
