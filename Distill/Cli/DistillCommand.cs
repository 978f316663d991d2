using System.CommandLine;
using YoloDistill.Detector.Common;
using System.Globalization;
using Spectre.Console;
using YoloDistill.Detector.Training;
using YoloDistill.Distill.Distillation;

namespace YoloDistill.Distill.Cli;

/// <summary>
/// yolo-distill distill: trains a student as `train` does (same options, same run folder contents: weights/last.ckpt,
/// best.ckpt, results.csv, results.png, hyp.yaml, opt.yaml) with a frozen teacher and the selected distillation losses.
/// </summary>
public static class DistillCommand
{
    const string Title = "yolo-distill distill";

    public static Command Create()
    {
        var teacher = new Option<string?>("--teacher") { Description = "Teacher weights (.pt, .safetensors or a yolo-distill checkpoint); frozen, eval mode" };
        var student = new Option<string>("--student") { Description = "Student model: yolov5n, yolov5s, yolov5m, yolov5l or yolov5x", DefaultValueFactory = _ => "yolov5n" };
        var studentWeights = new Option<string?>("--student-weights") { Description = "Initial student weights (default: from scratch)" };
        var clip = new Option<string>("--clip")
        {
            Description = "Parameters the gradient clip at norm 10 acts on: all (student and adapters, one norm), student (the student's only, " +
                          "as train.py clips model.parameters(); adapters unclipped) or separate (each clipped at 10 on its own)",
            DefaultValueFactory = _ => "all",
        };
        var distill = new DistillArguments();
        var train = new TrainArguments("distill");

        var cmd = new Command("distill", "Distill a frozen teacher into a student (FGFI, CWD, KD) while training it as `train` does");
        foreach (var o in new Option[] { teacher, student, studentWeights, clip }) cmd.Options.Add(o);
        distill.AddTo(cmd);
        train.AddTo(cmd);
        cmd.SetAction((pr, ct) =>
        {
            train.ApplyThreads(pr);
            var resume = pr.GetValue(train.Resume);
            if (!string.IsNullOrWhiteSpace(resume)) return Task.FromResult(ResumedRun.Run(resume, pr, train, Title, ct, Distiller.RequireDistillRun));
            // Options first, so a bad value is reported as such whatever else is missing.
            var options = distill.Bind(pr);
            options.Validate();
            var clipScope = ParseClip(pr.GetValue(clip)!);
            new DistillSchedule(options.Effective).CheckEpochs(pr.GetValue(train.Epochs));
            var studentName = pr.GetValue(student)!;
            Detector.Model.ModelConfig.FromName(studentName);
            var teacherPath = pr.GetValue(teacher);
            if (string.IsNullOrWhiteSpace(teacherPath)) throw new ArgumentException("--teacher is required (the weights of the teacher detector).");
            if (!File.Exists(teacherPath)) throw new FileNotFoundException($"{teacherPath}: teacher weights not found.", teacherPath);
            using var run = Distiller.Create(new DistillRunOptions
            {
                Teacher = teacherPath,
                Student = train.Bind(pr, studentName, pr.GetValue(studentWeights)) with { Clip = clipScope },
                Distill = options,
                Hyp = train.LoadHyp(pr),
            });
            var trainer = run.Trainer;
            Describe(trainer, run.Extension);
            return Task.FromResult(TrainingConsole.Run(trainer, Title, ct));
        });
        return cmd;
    }

    /// <summary>--clip's text: all, student or separate.</summary>
    internal static GradClip ParseClip(string text) => text.Trim().ToLowerInvariant() switch
    {
        "all" => GradClip.All,
        "student" => GradClip.Student,
        "separate" => GradClip.Separate,
        _ => throw new ArgumentException($"--clip '{text}': expected all, student or separate."),
    };

    static string ClipText(GradClip c) => c switch
    {
        GradClip.Student => "the student's parameters at norm 10 (train.py's set), adapters unclipped",
        GradClip.Separate => "the student's parameters at norm 10, the adapters at norm 10 on their own",
        _ => "the student's and the adapters' parameters together at norm 10",
    };

    /// <summary>The distillation a run trains with: teacher, student, method and settings, teacher precision, adapters.</summary>
    internal static void Describe(Trainer trainer, DistillationExtension ext)
    {
        var o = trainer.Options;
        AnsiConsole.MarkupLine($"[bold]distill[/] teacher {Markup.Escape(ext.Teacher.Config.ModelName)} ({Markup.Escape(ext.Teacher.Source)}) -> student {Markup.Escape(trainer.Config.ModelName)}, " +
                               $"method {ext.Options.Method}, {o.Epochs} epochs, batch {o.BatchSize}, img {o.ImgSize}");
        foreach (var line in ext.Options.Describe()) AnsiConsole.MarkupLine(Markup.Escape(line));
        AnsiConsole.MarkupLine($"[grey]gradient clip (--clip {o.Clip.ToString().ToLowerInvariant()}): {Markup.Escape(ClipText(o.Clip))}[/]");
        AnsiConsole.MarkupLine($"[grey]teacher runs fused in {ext.Teacher.ComputeType} (--teacher-precision {TeacherPrecisionParser.Format(ext.Options.TeacherPrecision)})[/]");
        foreach (var note in trainer.Notes) AnsiConsole.MarkupLine($"[grey]{Markup.Escape(note)}[/]");
        if (ext.Adapters is not null)
            AnsiConsole.MarkupLine($"[grey]adapters {AdapterKindParser.Format(ext.Adapters.Kind)}: student channels {string.Join("/", ext.Adapters.StudentChannels)} -> teacher {string.Join("/", ext.Adapters.TeacherChannels)} (trained, checkpointed, never exported)[/]");
    }
}
