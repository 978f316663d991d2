using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using YoloDistill.Detector.Common;
using YoloDistill.Distill.Demo;
using YoloDistill.Distill.Distillation;

namespace YoloDistill.Distill.Cli;

/// <summary>
/// yolo-distill demo: the whole mission on the built-in synthetic data (README's main command). Each stage runs a
/// yolo-distill verb in-process; finished stages are skipped when the command is run again.
/// </summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var d = new DemoOptions();
        var data = new Option<string>("--data") { Description = "Synthetic dataset root (made when absent)", DefaultValueFactory = _ => d.Data };
        var teacher = new Option<string>("--teacher") { Description = "Teacher weights (default: the one shipped in weights/)", DefaultValueFactory = _ => d.Teacher };
        var studentWeights = new Option<string>("--student-weights") { Description = "Pretrained weights both students start from (default: the ones shipped in weights/)", DefaultValueFactory = _ => d.StudentWeights };
        var makeWeights = new Option<bool>("--make-weights", "--train-teacher") { Description = "Make the pretrained student and the teacher with the README's recipe (pretraining set and pretraining of the student; the teacher trained twice on the built-in data) instead of using the shipped files; hours on 2 cores" };
        var student = new Option<string>("--student") { Description = "Student architecture", DefaultValueFactory = _ => d.Student };
        var epochs = new Option<int>("--epochs") { Description = "Epochs for each student (same budget for baseline and distilled)", DefaultValueFactory = _ => d.Epochs };
        var batch = new Option<int>("--batch") { Description = "Batch size", DefaultValueFactory = _ => d.Batch };
        var img = new Option<int>("--img") { Description = "Image size", DefaultValueFactory = _ => d.Img };
        var seed = new Option<int>("--seed") { Description = "Seed for both students", DefaultValueFactory = _ => d.Seed };
        var method = new Option<string>("--method") { Description = $"Distillation method(s): {string.Join(", ", DistillLosses.All.Select(k => k.Name))}, combinable with +", DefaultValueFactory = _ => d.Method };
        var weight = new Option<double?>("--imitation-weight") { Description = "FGFI imitation loss weight (lambda) [default: distill's]" };
        var device = new Option<string>("--device") { Description = "cpu, cuda or auto", DefaultValueFactory = _ => d.Device };
        var workers = new Option<int>("--workers") { Description = "Data loader threads", DefaultValueFactory = _ => d.Workers };
        var detectConf = new Option<double>("--detect-conf") { Description = "Confidence threshold for the demo video (detect's default)", DefaultValueFactory = _ => d.DetectConf };
        var threads = new Option<int>("--threads") { Description = "torch intra-op threads for every stage (0 = libtorch default)", DefaultValueFactory = _ => d.Threads };
        var output = new Option<string>("--out") { Description = "Output folder; finished stages found there are reused", DefaultValueFactory = _ => d.Out };

        var cmd = new Command("demo", "Run the whole mission end to end on the built-in synthetic data: data, shipped pretrained student and teacher, " +
                                      "baseline and FGFI students, evaluation, ONNX export and check, detection on a labelled video, report.");
        foreach (var opt in new Option[] { data, teacher, studentWeights, makeWeights, student, epochs, batch, img, seed, method, weight, device, workers, detectConf, threads, output })
            cmd.Options.Add(opt);
        cmd.SetAction(async (pr, ct) =>
        {
            var o = new DemoOptions
            {
                Data = pr.GetValue(data)!, Teacher = pr.GetValue(teacher)!, StudentWeights = pr.GetValue(studentWeights)!,
                MakeWeights = pr.GetValue(makeWeights), Student = pr.GetValue(student)!,
                Epochs = pr.GetValue(epochs), Batch = pr.GetValue(batch), Img = pr.GetValue(img), Seed = pr.GetValue(seed),
                Method = pr.GetValue(method)!, ImitationWeight = pr.GetValue(weight), Device = pr.GetValue(device)!,
                Workers = pr.GetValue(workers), Threads = pr.GetValue(threads), DetectConf = pr.GetValue(detectConf), Out = pr.GetValue(output)!,
            };
            return await RunAsync(o, ct);
        });
        return cmd;
    }

    static async Task<int> RunAsync(DemoOptions o, CancellationToken ct)
    {
        Directory.CreateDirectory(o.Out);
        if (o.Threads > 0) TorchSharp.torch.set_num_threads(o.Threads); // as every stage will (the plan's measurement too)
        var ctx = new DemoContext(o, Path.GetFullPath(o.Out), args => RunVerbAsync(args, ct));
        var stages = DemoPipeline.Stages(o);
        var total = Stopwatch.StartNew();
        var plan = PrintPlan(ctx, stages);
        for (int i = 0; i < stages.Count; i++)
        {
            var s = stages[i];
            var head = $"[bold]demo {i + 1}/{stages.Count}[/] {Markup.Escape(s.Title)}";
            if (s.IsDone(ctx))
            {
                AnsiConsole.MarkupLine($"{head} [grey](done earlier, reused)[/]");
                continue;
            }
            if (ct.IsCancellationRequested)
                throw new Interruption($"before demo stage {i + 1}/{stages.Count} ({s.Title})", $"the finished stages are kept in {Interruption.Show(ctx.Out)}", Interruption.SameCommand);
            AnsiConsole.Write(new Rule(head).LeftJustified());
            var sw = Stopwatch.StartNew();
            int code;
            try
            {
                code = await s.Run(ctx);
            }
            catch (OperationCanceledException e) when (ct.IsCancellationRequested)
            {
                s.AddPartial(ctx, sw.Elapsed);
                var inner = e as Interruption;
                throw new Interruption($"in demo stage {i + 1}/{stages.Count} ({s.Title}){(inner is null ? "" : ", " + inner.Where)}",
                    (inner is null ? "" : inner.Work + "; ") + $"the finished stages are kept in {Interruption.Show(ctx.Out)}", Interruption.SameCommand, e);
            }
            if (code != 0)
            {
                s.AddPartial(ctx, sw.Elapsed);
                AnsiConsole.MarkupLine($"[red]demo stage '{s.Name}' failed with exit code {code}[/]; fix the problem and run the same command again to continue.");
                return code;
            }
            s.MarkDone(ctx, sw.Elapsed);
            AnsiConsole.MarkupLine($"[green]done[/] {Markup.Escape(s.Title)} in {sw.Elapsed.TotalMinutes:F1} min");
        }
        AnsiConsole.Write(new Rule("[bold]report[/]").LeftJustified());
        AnsiConsole.WriteLine(File.ReadAllText(Path.Combine(ctx.Out, "report.md")));
        AnsiConsole.MarkupLine($"[green]demo finished[/] in {total.Elapsed.TotalMinutes:F1} min (this run; expected {plan.Expected.TotalMinutes:F1}); report: {Markup.Escape(Path.Combine(ctx.Out, "report.md"))}");
        return 0;
    }

    /// <summary>The stages done earlier, those to run, and the expected wall time on this machine.</summary>
    static DemoPlan PrintPlan(DemoContext ctx, IReadOnlyList<DemoStage> stages)
    {
        var machine = MachineInfo.Current();
        AnsiConsole.MarkupLine($"[bold]demo plan[/] on {Markup.Escape(machine.ToString())}");
        var plan = DemoPlan.Make(ctx, stages);
        AnsiConsole.MarkupLine($"  done earlier: {(plan.Done.Count == 0 ? "none" : Markup.Escape(string.Join(", ", plan.Done.Select(s => s.Name))))}");
        AnsiConsole.MarkupLine($"  to run: {(plan.ToRun.Count == 0 ? "nothing (every stage is done)" : Markup.Escape(string.Join(", ", plan.ToRun.Select(p =>
            p.Stage.Name + (p.Note.Length > 0 ? $" ({p.Note})" : "")))))}");
        var basis = plan.StepSeconds is { } step
            ? $"a {ctx.Options.Student} training step (batch {ctx.Options.Batch} at {ctx.Options.Img} px) measured {step:0.00} s here"
            : "no training left";
        var parts = plan.ToRun.Where(p => p.Expected.TotalMinutes >= 0.5).Select(p => $"{p.Stage.Name} {Minutes(p.Expected)}").Prepend(basis);
        AnsiConsole.MarkupLine($"  expected: about {Minutes(plan.Expected)} ({Markup.Escape(string.Join("; ", parts))})");
        return plan;
    }

    static string Minutes(TimeSpan t) => t.TotalMinutes < 1 ? $"{Math.Ceiling(t.TotalSeconds)} s" : $"{t.TotalMinutes:0} min";

    /// <summary>Runs another verb of this program in-process, exactly as if the user had typed it; a stop propagates.</summary>
    static async Task<int> RunVerbAsync(string[] args, CancellationToken ct)
    {
        AnsiConsole.MarkupLine($"[grey]$ yolo-distill {Markup.Escape(string.Join(' ', args))}[/]");
        return await CliRunner.InvokeStageAsync(args, ct);
    }
}
