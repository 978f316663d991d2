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
    public static Command Create()
    {
        var teacher = new Option<string?>("--teacher") { Description = "Teacher weights (.pt, .safetensors or a yolo-distill checkpoint); frozen, eval mode" };
        var student = new Option<string>("--student") { Description = "Student model: yolov5n, yolov5s, yolov5m, yolov5l or yolov5x", DefaultValueFactory = _ => "yolov5n" };
        var studentWeights = new Option<string?>("--student-weights") { Description = "Initial student weights (default: from scratch)" };
        var method = new Option<string>("--method") { Description = "fgfi, cwd, kd, or a '+' combination such as fgfi+kd", DefaultValueFactory = _ => "fgfi" };
        var imitWeight = new Option<double>("--imitation-weight") { Description = "FGFI loss weight lambda", DefaultValueFactory = _ => FgfiLoss.DefaultWeight };
        var psi = new Option<double>("--psi") { Description = "FGFI mask threshold factor: IoU > psi * the box's best anchor IoU", DefaultValueFactory = _ => ImitationMask.DefaultPsi };
        var adapter = new Option<string>("--adapter") { Description = "Adaptation layer: 1x1 or 3x3 convolution", DefaultValueFactory = _ => "1x1" };
        var warmup = new Option<long>("--imitation-warmup") { Description = "Iterations over which lambda ramps up linearly from 0 (0 = none)", DefaultValueFactory = _ => 0 };
        var cwdWeight = new Option<double>("--cwd-weight") { Description = "CWD loss weight", DefaultValueFactory = _ => CwdLoss.DefaultWeight };
        var cwdTau = new Option<double>("--cwd-tau") { Description = "CWD softmax temperature", DefaultValueFactory = _ => CwdLoss.DefaultTau };
        var kdWeight = new Option<double>("--kd-weight") { Description = "KD loss weight", DefaultValueFactory = _ => KdLoss.DefaultWeight };
        var kdT = new Option<double>("--kd-temperature") { Description = "KD temperature T", DefaultValueFactory = _ => KdLoss.DefaultTemperature };
        var precision = new Option<string>("--teacher-precision") { Description = "Number format of the teacher's forward pass: auto (bf16 on CPUs with AVX512-BF16/AMX, fp16 on CUDA, else fp32), fp32, bf16 or fp16", DefaultValueFactory = _ => "auto" };
        var train = new TrainArguments("distill");

        var cmd = new Command("distill", "Distill a frozen teacher into a student (FGFI, CWD, KD) while training it as `train` does");
        foreach (var o in new Option[] { teacher, student, studentWeights, method, imitWeight, psi, adapter, warmup, cwdWeight, cwdTau, kdWeight, kdT, precision })
            cmd.Options.Add(o);
        train.AddTo(cmd);
        cmd.SetAction((pr, ct) =>
        {
            train.ApplyThreads(pr);
            var resume = pr.GetValue(train.Resume);
            if (!string.IsNullOrWhiteSpace(resume)) return Task.FromResult(RunResume(resume, pr.GetValue(train.Device)!, ct));
            var teacherPath = pr.GetValue(teacher);
            if (string.IsNullOrWhiteSpace(teacherPath)) throw new ArgumentException("--teacher is required (the weights of the teacher detector).");
            if (!File.Exists(teacherPath)) throw new FileNotFoundException($"{teacherPath}: teacher weights not found.", teacherPath);
            var options = new DistillOptions
            {
                Method = DistillMethodParser.Parse(pr.GetValue(method)!),
                ImitationWeight = pr.GetValue(imitWeight), Psi = pr.GetValue(psi), Adapter = AdapterKindParser.Parse(pr.GetValue(adapter)!),
                ImitationWarmup = pr.GetValue(warmup), CwdWeight = pr.GetValue(cwdWeight), CwdTau = pr.GetValue(cwdTau),
                KdWeight = pr.GetValue(kdWeight), KdTemperature = pr.GetValue(kdT),
                TeacherPrecision = TeacherPrecisionParser.Parse(pr.GetValue(precision)!),
            };
            options.Validate();
            var studentName = pr.GetValue(student)!;
            Detector.Model.ModelConfig.FromName(studentName);
            var hyp = train.LoadHyp(pr);
            var trainOptions = train.Bind(pr, studentName, pr.GetValue(studentWeights));
            // The full path goes into the checkpoint, so that --resume finds the teacher from any working directory.
            using var t = Teacher.Load(Path.GetFullPath(teacherPath), DeviceSelector.Parse(trainOptions.Device));
            using var ext = new DistillationExtension(t, options);
            using var trainer = new Trainer(trainOptions, hyp, ext);
            return Task.FromResult(Train(trainer, ext, ct));
        });
        return cmd;
    }

    static int RunResume(string runDir, string device, CancellationToken ct)
    {
        var last = Path.Combine(runDir, "weights", "last.ckpt");
        DistillOptions options;
        string teacherPath;
        using (var c = Checkpoint.Load(last))
        {
            var saved = DistillationExtension.FromMetadata(c.Metadata)
                ?? throw new ArgumentException($"{last}: not a distill run (no distillation settings in the checkpoint); resume it with `train --resume`.");
            (options, teacherPath) = saved;
        }
        if (!File.Exists(teacherPath)) throw new FileNotFoundException($"{last}: its teacher {teacherPath} is no longer there.", teacherPath);
        using var t = Teacher.Load(teacherPath, DeviceSelector.Parse(device));
        using var ext = new DistillationExtension(t, options);
        using var trainer = Trainer.Resume(runDir, ext, adjust: o => o with { Device = device });
        return Train(trainer, ext, ct);
    }

    static int Train(Trainer trainer, DistillationExtension ext, CancellationToken ct)
    {
        var o = trainer.Options;
        AnsiConsole.MarkupLine($"[bold]distill[/] teacher {Markup.Escape(ext.Teacher.Config.ModelName)} ({Markup.Escape(ext.Teacher.Source)}) -> student {Markup.Escape(trainer.Config.ModelName)}, " +
                               $"method {DistillMethodParser.Format(ext.Options.Method)}, {o.Epochs} epochs, batch {o.BatchSize}, img {o.ImgSize}");
        AnsiConsole.MarkupLine(Markup.Escape(DescribeOptions(ext.Options)));
        AnsiConsole.MarkupLine($"[grey]teacher runs fused in {ext.Teacher.ComputeType} (--teacher-precision {TeacherPrecisionParser.Format(ext.Options.TeacherPrecision)})[/]");
        foreach (var note in trainer.Notes) AnsiConsole.MarkupLine($"[grey]{Markup.Escape(note)}[/]");
        if (ext.Adapters is not null)
            AnsiConsole.MarkupLine($"[grey]adapters {AdapterKindParser.Format(ext.Adapters.Kind)}: student channels {string.Join("/", ext.Adapters.StudentChannels)} -> teacher {string.Join("/", ext.Adapters.TeacherChannels)} (trained, checkpointed, never exported)[/]");

        return TrainingConsole.Run(trainer, "yolo-distill distill", ct);
    }

    static string DescribeOptions(DistillOptions o)
    {
        var parts = new List<string>();
        if (o.Method.HasFlag(DistillMethod.Fgfi))
            parts.Add($"fgfi: lambda {o.ImitationWeight.ToString(CultureInfo.InvariantCulture)}, psi {o.Psi.ToString(CultureInfo.InvariantCulture)}, adapter {AdapterKindParser.Format(o.Adapter)}, warm-up {o.ImitationWarmup} it");
        if (o.Method.HasFlag(DistillMethod.Cwd))
            parts.Add($"cwd: weight {o.CwdWeight.ToString(CultureInfo.InvariantCulture)}, tau {o.CwdTau.ToString(CultureInfo.InvariantCulture)}");
        if (o.Method.HasFlag(DistillMethod.Kd))
            parts.Add($"kd: weight {o.KdWeight.ToString(CultureInfo.InvariantCulture)}, T {o.KdTemperature.ToString(CultureInfo.InvariantCulture)}");
        return string.Join("; ", parts);
    }
}
