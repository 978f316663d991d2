using System.Globalization;
using Spectre.Console;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Training;

namespace YoloDistill.Distill.Cli;

/// <summary>
/// Shows a training run (train or distill): the setup, a progress bar per epoch with the losses (extra loss columns
/// included), images per second, ETA and memory, a line per validated epoch, and a summary table at the end.
/// </summary>
public static class TrainingConsole
{
    /// <summary>
    /// Runs the trainer to the end; a diverged loss is reported as a user-facing error (exit 2), a stop requested
    /// through <paramref name="ct"/> as an <see cref="Interruption"/> naming the epoch and the resume command
    /// (<paramref name="title"/> is the command, "yolo-distill train" or "yolo-distill distill").
    /// </summary>
    public static int Run(Trainer t, string title, CancellationToken ct)
    {
        var o = t.Options;
        if (CliSession.Current is { } session) session.RunFolder = o.SaveDir;
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(title)}[/] {Markup.Escape(t.Config.ModelName)} nc={t.Config.Nc} img={o.ImgSize} batch={o.BatchSize} " +
                               $"accumulate={o.Accumulate} epochs={o.Epochs} device={Markup.Escape(o.Device)} -> [bold]{Markup.Escape(o.SaveDir)}[/]");
        AnsiConsole.MarkupLine("[grey]hyperparameters:[/] " + Markup.Escape(HypYaml.ToYaml(t.Hyp).Replace("\n", ", ").TrimEnd(',', ' ')));
        foreach (var n in t.Notes) AnsiConsole.MarkupLine("[grey]" + Markup.Escape(n) + "[/]");
        AnsiConsole.MarkupLine($"[grey]{t.BatchesPerEpoch} batches per epoch, {t.WarmupIterations} warmup iterations[/]");

        TrainSummary? summary = null;
        var rows = new List<TrainEpochProgress>();
        TrainStepProgress? lastStep = null;
        try
        {
            AnsiConsole.Progress().AutoClear(false).HideCompleted(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    ProgressTask? task = null;
                    int taskEpoch = -1;
                    t.StepProgress = new InlineProgress<TrainStepProgress>(p =>
                    {
                        lastStep = p;
                        if (task is null || taskEpoch != p.Epoch)
                        {
                            task = ctx.AddTask($"{p.Epoch}/{p.Epochs - 1}", maxValue: p.Batches);
                            taskEpoch = p.Epoch;
                        }
                        var extra = string.Concat(p.Extra.Select(x => $" {ShortName(x.Key)} {x.Value:0.0000}"));
                        task.Description = $"{p.Epoch}/{p.Epochs - 1}  box {p.Box:0.0000} obj {p.Obj:0.0000} cls {p.Cls:0.0000}{extra}  " +
                                           $"{p.Instances} inst  {p.ImgSize}px  {p.ImagesPerSecond:0.0} img/s  ETA {p.EpochEta:mm\\:ss}  {p.RssBytes / 1e9:0.00}G";
                        task.Value = p.Batch;
                    });
                    t.EpochProgress = new InlineProgress<TrainEpochProgress>(e =>
                    {
                        rows.Add(e);
                        var r = e.Result;
                        var pr = double.IsNaN(r.Precision) ? "" : $" P {r.Precision:0.000} R {r.Recall:0.000}";
                        ctx.AddTask(Markup.Escape(e.Validated
                            ? $"   val{pr} mAP50 {r.Map50:0.000} mAP50-95 {r.Map5095:0.000}  fitness {e.Fitness:0.0000}{(e.IsBest ? "  best" : "")}"
                            : "   (not validated)"), maxValue: 1).Value = 1;
                    });
                    summary = t.Run(ct);
                });
        }
        catch (TrainingDivergedException e)
        {
            throw new UserFacingException(e.Message, e);
        }
        catch (OperationCanceledException e) when (ct.IsCancellationRequested)
        {
            throw Stopped(t, title, rows.Count > 0 ? rows[^1].Result.Epoch : t.StartEpoch - 1, lastStep, e);
        }

        var s = summary!;
        var table = new Table().Border(TableBorder.Rounded).Title("training summary")
            .AddColumns("epoch", "box", "obj", "cls", "P", "R", "mAP50", "mAP50-95", "val box", "val obj", "val cls", "lr0");
        foreach (var e in rows)
        {
            var r = e.Result;
            string F(double v, string f = "0.0000") => double.IsNaN(v) ? "-" : v.ToString(f, CultureInfo.InvariantCulture);
            table.AddRow((r.Epoch == s.BestEpoch ? "[bold]" : "") + r.Epoch + (r.Epoch == s.BestEpoch ? "*[/]" : ""),
                F(r.TrainBox), F(r.TrainObj), F(r.TrainCls), F(r.Precision, "0.000"), F(r.Recall, "0.000"), F(r.Map50, "0.000"),
                F(r.Map5095, "0.000"), F(r.ValBox), F(r.ValObj), F(r.ValCls), F(r.Lr0, "0.00000"));
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"{s.EpochsCompleted} epochs in {s.Elapsed:hh\\:mm\\:ss}{(s.StoppedEarly ? " (stopped early: no improvement)" : "")}; " +
                               $"best fitness {s.BestFitness:0.0000} at epoch {s.BestEpoch}");
        AnsiConsole.MarkupLine($"weights: [bold]{Markup.Escape(s.LastCheckpoint)}[/], [bold]{Markup.Escape(s.BestCheckpoint)}[/]; results: {Markup.Escape(Path.Combine(s.SaveDir, "results.csv"))}");
        return 0;
    }

    /// <summary>A loss column as the progress bar names it, like box/obj/cls: "train/imit_loss" is "imit".</summary>
    static string ShortName(string column)
    {
        var name = column[(column.LastIndexOf('/') + 1)..];
        return name.EndsWith("_loss", StringComparison.Ordinal) ? name[..^"_loss".Length] : name;
    }

    /// <summary>Where a stopped run is: the epoch and batch it was in, its last checkpoint and the command that resumes it.</summary>
    static Interruption Stopped(Trainer t, string title, int lastCompleted, TrainStepProgress? step, Exception inner)
    {
        var o = t.Options;
        int epoch = lastCompleted + 1;
        var where = $"in epoch {epoch}/{o.Epochs - 1} " + (step is { } p && p.Epoch == epoch
            ? p.Batch == p.Batches ? "while validating" : $"after batch {p.Batch}/{p.Batches}"
            : "before its first batch");
        var dir = Interruption.Show(o.SaveDir);
        if (lastCompleted >= 0 && !o.NoSave && File.Exists(o.LastPath))
            return new Interruption(where, $"the last completed epoch ({lastCompleted}) is saved in {Interruption.Show(o.LastPath)}",
                $"{title} --resume {dir}", inner);
        var why = o.NoSave && lastCompleted >= 0 ? "--nosave writes no checkpoint before the final epoch" : "no epoch had finished, so no checkpoint was written";
        return new Interruption(where, $"{why} ({dir} holds the run's settings only)", Interruption.SameCommand, inner);
    }
}
