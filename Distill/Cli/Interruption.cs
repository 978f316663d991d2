namespace YoloDistill.Distill.Cli;

/// <summary>
/// A verb stopped at a safe point because SIGINT or SIGTERM asked it to (see <see cref="StopSignal"/>): where it
/// stopped, where its work is, and what continues it. <see cref="CliRunner"/> prints it as one line
/// ("stopped by SIGTERM in epoch 9/11 after batch 14/25; ...; to continue: yolo-distill train --resume DIR")
/// and exits with 130 or 143.
/// </summary>
public sealed class Interruption(string where, string work, string resume, Exception? inner = null)
    : OperationCanceledException($"stopped {where}; {work}; to continue: {resume}", inner)
{
    public const string SameCommand = "run the same command again";

    /// <summary>Where it stopped, e.g. "in epoch 9/11 after batch 14/25".</summary>
    public string Where { get; } = where;
    /// <summary>What was kept and where, e.g. "the last completed epoch (8) is saved in runs/train/exp/weights/last.ckpt".</summary>
    public string Work { get; } = work;
    /// <summary>The command that continues the work, or <see cref="SameCommand"/>.</summary>
    public string Resume { get; } = resume;

    public string Line(string signalName) => $"stopped by {signalName} {Where}; {Work}; to continue: {Resume}";

    /// <summary>The line for a verb that stopped without saying more: its results are written only at its end.</summary>
    public static Interruption Generic(string command, Exception inner) =>
        new("before it finished", $"`{command}` writes its results only at its end, so it wrote none", SameCommand, inner);

    /// <summary>A path as the user would type it: relative to the working folder when inside it.</summary>
    public static string Show(string path)
    {
        var full = Path.GetFullPath(path);
        var rel = Path.GetRelativePath(Environment.CurrentDirectory, full);
        return rel.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(rel) ? full : rel;
    }
}
