using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using YoloDistill.Distill.Demo;

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
        var trainTeacher = new Option<bool>("--train-teacher") { Description = "Train the teacher instead of using the shipped one" };
        var teacherModel = new Option<string>("--teacher-model") { Description = "Teacher architecture when training it", DefaultValueFactory = _ => d.TeacherModel };
        var teacherEpochs = new Option<int>("--teacher-epochs") { Description = "Teacher epochs when training it", DefaultValueFactory = _ => d.TeacherEpochs };
        var student = new Option<string>("--student") { Description = "Student architecture", DefaultValueFactory = _ => d.Student };
        var epochs = new Option<int>("--epochs") { Description = "Epochs for each student (same budget for baseline and distilled)", DefaultValueFactory = _ => d.Epochs };
        var batch = new Option<int>("--batch") { Description = "Batch size", DefaultValueFactory = _ => d.Batch };
        var img = new Option<int>("--img") { Description = "Image size", DefaultValueFactory = _ => d.Img };
        var seed = new Option<int>("--seed") { Description = "Seed for both students", DefaultValueFactory = _ => d.Seed };
        var method = new Option<string>("--method") { Description = "Distillation method(s): fgfi, cwd, kd, combinable with +", DefaultValueFactory = _ => d.Method };
        var weight = new Option<double>("--imitation-weight") { Description = "FGFI imitation loss weight (lambda)", DefaultValueFactory = _ => d.ImitationWeight };
        var device = new Option<string>("--device") { Description = "cpu, cuda or auto", DefaultValueFactory = _ => d.Device };
        var workers = new Option<int>("--workers") { Description = "Data loader threads", DefaultValueFactory = _ => d.Workers };
        var detectConf = new Option<double>("--detect-conf") { Description = "Confidence threshold for the demo video", DefaultValueFactory = _ => d.DetectConf };
        var threads = new Option<int>("--threads") { Description = "torch intra-op threads for every stage (0 = libtorch default)", DefaultValueFactory = _ => d.Threads };
        var output = new Option<string>("--out") { Description = "Output folder; finished stages found there are reused", DefaultValueFactory = _ => d.Out };

        var cmd = new Command("demo", "Run the whole mission end to end on the built-in synthetic data: data, teacher, baseline and " +
                                      "FGFI students, evaluation, ONNX export and check, video detection, report.");
        foreach (var opt in new Option[] { data, teacher, trainTeacher, teacherModel, teacherEpochs, student, epochs, batch, img, seed, method, weight, device, workers, detectConf, threads, output })
            cmd.Options.Add(opt);
        cmd.SetAction(async (pr, ct) =>
        {
            var o = new DemoOptions
            {
                Data = pr.GetValue(data)!, Teacher = pr.GetValue(teacher)!, TrainTeacher = pr.GetValue(trainTeacher),
                TeacherModel = pr.GetValue(teacherModel)!, TeacherEpochs = pr.GetValue(teacherEpochs), Student = pr.GetValue(student)!,
                Epochs = pr.GetValue(epochs), Batch = pr.GetValue(batch), Img = pr.GetValue(img), Seed = pr.GetValue(seed),
                Method = pr.GetValue(method)!, ImitationWeight = pr.GetValue(weight), Device = pr.GetValue(device)!,
                Workers = pr.GetValue(workers), Threads = pr.GetValue(threads), DetectConf = pr.GetValue(detectConf), Out = pr.GetValue(output)!,
            };
            return await RunAsync(o);
        });
        return cmd;
    }

    static async Task<int> RunAsync(DemoOptions o)
    {
        Directory.CreateDirectory(o.Out);
        var ctx = new DemoContext(o, Path.GetFullPath(o.Out), RunVerbAsync);
        var stages = DemoPipeline.Stages(o);
        var total = Stopwatch.StartNew();
        for (int i = 0; i < stages.Count; i++)
        {
            var s = stages[i];
            var head = $"[bold]demo {i + 1}/{stages.Count}[/] {Markup.Escape(s.Title)}";
            if (s.IsDone(ctx))
            {
                AnsiConsole.MarkupLine($"{head} [grey](done earlier, reused)[/]");
                continue;
            }
            AnsiConsole.Write(new Rule(head).LeftJustified());
            var sw = Stopwatch.StartNew();
            var code = await s.Run(ctx);
            if (code != 0)
            {
                AnsiConsole.MarkupLine($"[red]demo stage '{s.Name}' failed with exit code {code}[/]; fix the problem and run the same command again to continue.");
                return code;
            }
            s.MarkDone(ctx);
            AnsiConsole.MarkupLine($"[green]done[/] {Markup.Escape(s.Title)} in {sw.Elapsed.TotalMinutes:F1} min");
        }
        AnsiConsole.Write(new Rule("[bold]report[/]").LeftJustified());
        AnsiConsole.WriteLine(File.ReadAllText(Path.Combine(ctx.Out, "report.md")));
        AnsiConsole.MarkupLine($"[green]demo finished[/] in {total.Elapsed.TotalMinutes:F1} min (this run); report: {Markup.Escape(Path.Combine(ctx.Out, "report.md"))}");
        return 0;
    }

    /// <summary>Runs another verb of this program in-process, exactly as if the user had typed it.</summary>
    static async Task<int> RunVerbAsync(string[] args)
    {
        AnsiConsole.MarkupLine($"[grey]$ yolo-distill {Markup.Escape(string.Join(' ', args))}[/]");
        var root = new RootCommand("yolo-distill");
        foreach (var verb in Verbs.All()) root.Subcommands.Add(verb);
        return await CliRunner.InvokeAsync(root, args);
    }
}
