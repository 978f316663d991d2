using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using TorchSharp;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Loss;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Training;
using YoloDistill.Distill.Distillation;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Cli;

/// <summary>
/// yolo-distill bench distill-step: the time of the trainer's own step (<see cref="TrainStepBench.MeasureTrainerStep"/>:
/// TrainingStep.Run built by TrainingSetup as `distill` builds a run) with the <see cref="DistillationExtension"/>,
/// against the same step of the student alone (as `train` runs it), the teacher's no-grad forward on its own and its
/// share of the distilled step, and the time of building the imitation masks. The batches are the first of a small
/// synthetic shapes set (generated in a temporary folder) or of --data; random-initialised models unless weights are given.
/// </summary>
public static class BenchDistillStepCommand
{
    public static Command Create()
    {
        var teacher = new Option<string>("--teacher") { Description = "Teacher: yolov5n..x (random init) or a weights file", DefaultValueFactory = _ => "yolov5s" };
        var student = new Option<string>("--student") { Description = "Student: yolov5n..x (random init) or a weights file", DefaultValueFactory = _ => "yolov5n" };
        var data = new Option<string?>("--data") { Description = "Dataset root in COCO layout whose train split gives the batches (default: a synthetic shapes set in a temporary folder)" };
        var split = new Option<string>("--split") { Description = "Split of --data", DefaultValueFactory = _ => "train" };
        var batch = SharedOptions.Batch("Batch size");
        var img = SharedOptions.Img("Square input size (multiple of 32)");
        var method = new Option<string>("--method") { Description = "fgfi, cwd, kd or a '+' combination", DefaultValueFactory = _ => "fgfi" };
        var clip = new Option<string>("--clip") { Description = "Gradient clip set, as distill --clip: all, student or separate", DefaultValueFactory = _ => "all" };
        var boxes = new Option<int>("--boxes") { Description = "Random boxes per image for the mask timing (a mosaic of COCO images holds about 30)", DefaultValueFactory = _ => 30 };
        var iters = new Option<int>("--iters", "--iterations") { Description = "Timed iterations per measurement", DefaultValueFactory = _ => 8 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed iterations before each measurement", DefaultValueFactory = _ => 2 };
        var threads = SharedOptions.Threads();
        var masksOnly = new Option<bool>("--masks-only") { Description = "Only time the mask building (no models)" };
        var device = SharedOptions.Device();
        var precision = new Option<string>("--teacher-precision") { Description = "Teacher number format: auto, fp32, bf16 or fp16 (as distill)", DefaultValueFactory = _ => "auto" };
        var outFile = new Option<string?>("--out") { Description = "Result file (default runs/bench/distill-step/exp.../distill_step.json)" };
        var cmd = new Command("distill-step", "Time of the trainer's distillation step vs its student step, the teacher forward's share, and the mask-building share");
        foreach (var o in new Option[] { teacher, student, data, split, batch, img, method, clip, boxes, iters, warmup, threads, masksOnly, device, precision, outFile }) cmd.Options.Add(o);
        cmd.SetAction((pr, ct) => Task.FromResult(Run(new Settings(pr.GetValue(teacher)!, pr.GetValue(student)!, pr.GetValue(data), pr.GetValue(split)!, pr.GetValue(batch),
            pr.GetValue(img), pr.GetValue(method)!, pr.GetValue(clip)!, pr.GetValue(boxes), pr.GetValue(iters), pr.GetValue(warmup), pr.GetValue(threads),
            pr.GetValue(masksOnly), pr.GetValue(device)!, pr.GetValue(precision)!, pr.GetValue(outFile), ct))));
        return cmd;
    }

    sealed record Settings(string Teacher, string Student, string? Data, string Split, int Batch, int Img, string Method, string Clip, int Boxes, int Iters,
        int Warmup, int Threads, bool MasksOnly, string Device, string Precision, string? Out, CancellationToken Stop = default);

    static int Run(Settings a)
    {
        if (a.Batch < 1) throw new ArgumentException($"--batch {a.Batch}: must be at least 1.");
        if (a.Img < 64 || a.Img % 32 != 0) throw new ArgumentException($"--img {a.Img}: must be a multiple of 32, at least 64.");
        if (a.Iters < 1) throw new ArgumentException($"--iters {a.Iters}: must be at least 1.");
        if (a.Warmup < 0) throw new ArgumentException($"--warmup {a.Warmup}: must not be negative.");
        if (a.Boxes < 0) throw new ArgumentException($"--boxes {a.Boxes}: must not be negative.");
        if (a.Threads < 0) throw new ArgumentException($"--threads {a.Threads}: must not be negative.");
        if (a.Data is not null && !Directory.Exists(a.Data)) throw new DirectoryNotFoundException($"--data {a.Data}: dataset root not found.");
        var clipScope = DistillCommand.ParseClip(a.Clip);
        if (a.Threads > 0) torch.set_num_threads(a.Threads);
        var options = DistillOptions.For(a.Method) with { TeacherPrecision = TeacherPrecisionParser.Parse(a.Precision) };
        var dev = DeviceSelector.Parse(a.Device);
        int batch = a.Batch, img = a.Img;
        var result = new Dictionary<string, object>
        {
            ["teacher"] = a.Teacher, ["student"] = a.Student, ["method"] = options.Method,
            ["batch"] = batch, ["img"] = img, ["boxes_per_image"] = a.Boxes, ["iters"] = a.Iters, ["warmup"] = a.Warmup,
            ["device"] = dev.ToString(),
        };
        var table = new Table().AddColumn("measurement").AddColumn(new TableColumn("median wall").RightAligned())
            .AddColumn(new TableColumn("per batch wall").RightAligned()).AddColumn(new TableColumn("median CPU (all threads)").RightAligned());

        using var targets = RandomTargets(batch, a.Boxes, 80, new Random(0)).to(dev);
        var maskCfg = ModelConfig.FromName(File.Exists(a.Student) ? "yolov5n" : a.Student);
        var (maskBuild, maskCpu) = Median(a, () =>
        {
            using var scope = NewDisposeScope();
            var masks = ImitationMask.Build(targets, batch, img, img, maskCfg, options.Get(FgfiLoss.Psi), dev, options.Get(FgfiLoss.Levels));
            if (dev.type != DeviceType.CPU) masks[^1].cpu();
        });
        result["mask_build_s"] = maskBuild;
        result["mask_build_cpu_s"] = maskCpu;

        if (!a.MasksOnly)
        {
            var tmp = Directory.CreateTempSubdirectory("yd-bench-distill-step").FullName;
            try { MeasureSteps(a, options, clipScope, dev, tmp, result, table, maskBuild, maskCpu); }
            finally { Directory.Delete(tmp, recursive: true); }
        }
        else table.AddRow("mask building", Ms(maskBuild), "", Ms(maskCpu));

        var path = a.Out ?? Path.Combine(RunDirectory.Resolve(null, Path.Combine("bench", "distill-step")), "distill_step.json");
        AnsiConsole.MarkupLine($"{Markup.Escape(a.Teacher)} -> {Markup.Escape(a.Student)}, batch {batch} at {img}, {dev}, " +
                               $"{torch.get_num_threads()} threads, load average {MachineInfo.LoadAverage()?.ToString("0.00") ?? "n/a"}");
        AnsiConsole.Write(table);
        BenchReport.Write(path, "distill-step", result);
        return 0;
    }

    /// <summary>The trainer's step of the student alone, then with distillation, and the teacher's forward on its own.</summary>
    static void MeasureSteps(Settings a, DistillOptions options, GradClip clip, Device dev, string tmp, Dictionary<string, object> result, Table table,
                             double maskBuild, double maskCpu)
    {
        int batch = a.Batch, img = a.Img;
        var data = a.Data;
        var split = a.Split;
        if (data is null)
        {
            // Enough images for the batches one optimizer step accumulates (they are loaded once and reused).
            data = Path.Combine(tmp, "data");
            int accumulate = new TrainOptions { BatchSize = batch }.Accumulate;
            SynthDataset.Generate(data, 0, new SynthOptions { Train = batch * Math.Min(accumulate, a.Iters + a.Warmup), Val = 1, ImgSize = img });
            split = "train";
        }
        var names = CocoDataset.Load(data, split).Names.ToArray();
        var trainOptions = new TrainOptions
        {
            Data = data, TrainSplit = split, ValSplit = split, Cfg = File.Exists(a.Student) ? "yolov5n" : a.Student,
            Weights = File.Exists(a.Student) ? a.Student : null, Epochs = 1, BatchSize = batch, ImgSize = img, Workers = 2,
            Device = dev.ToString(), NoPlots = true, NoVal = true, Clip = clip,
        };
        TrainerStepTiming Measure(string name, IReadOnlyList<ITrainingExtension> extensions) =>
            TrainStepBench.MeasureTrainerStep(trainOptions with { SaveDir = Path.Combine(tmp, name) }, new Hyp(), extensions, a.Iters, a.Warmup, ct: a.Stop);

        var studentStep = Measure("student", []);
        using var teacher = File.Exists(a.Teacher) ? Teacher.Load(a.Teacher, dev) : new Teacher(new YoloModel(ModelConfig.FromName(a.Teacher, names.Length, names)), a.Teacher);
        TrainerStepTiming distillStep;
        using (var ext = new DistillationExtension(teacher, options))
            distillStep = Measure("distill", [ext]);
        result["teacher_dtype"] = teacher.ComputeType.ToString();
        using var images = rand(batch, 3, img, img, device: dev);
        var (teacherForward, teacherCpu) = Median(a, () =>
        {
            using var scope = NewDisposeScope();
            using var o = teacher.Forward(images);
            if (dev.type != DeviceType.CPU) o.Raw[0].cpu();
        });

        result["measured"] = "TrainingStep.Run built by TrainingSetup (the trainer's step): forward, detection loss, extension losses, backward; " +
                             "clip, optimizer step and EMA every accumulate batches. Batches loaded once and reused; steps after the lr warm-up.";
        result["data"] = a.Data ?? "synthetic shapes (temporary)";
        result["clip"] = clip.ToString().ToLowerInvariant();
        result["accumulate"] = distillStep.Accumulate;
        result["instances_per_image"] = distillStep.InstancesPerImage;
        result["student_step_s"] = studentStep.PerBatchSeconds;
        result["student_step_median_s"] = studentStep.MedianSeconds;
        result["student_step_cpu_s"] = studentStep.MedianCpuSeconds;
        result["student_optimizer_steps"] = studentStep.OptimizerSteps;
        result["teacher_forward_s"] = teacherForward;
        result["teacher_forward_cpu_s"] = teacherCpu;
        result["student_plus_teacher_s"] = studentStep.PerBatchSeconds + teacherForward;
        result["distill_step_s"] = distillStep.PerBatchSeconds;
        result["distill_step_median_s"] = distillStep.MedianSeconds;
        result["distill_step_cpu_s"] = distillStep.MedianCpuSeconds;
        result["distill_optimizer_steps"] = distillStep.OptimizerSteps;
        result["distill_over_student"] = distillStep.PerBatchSeconds / studentStep.PerBatchSeconds;
        result["teacher_forward_share_of_distill_step"] = teacherForward / distillStep.PerBatchSeconds;
        result["overhead_s"] = distillStep.PerBatchSeconds - studentStep.PerBatchSeconds - teacherForward;
        result["mask_share_of_distill_step"] = maskBuild / distillStep.PerBatchSeconds;
        result["mask_cpu_share_of_distill_step"] = maskCpu / distillStep.MedianCpuSeconds;
        result["student_step_seconds"] = studentStep.StepSeconds;
        result["distill_step_seconds"] = distillStep.StepSeconds;
        table.AddRow("student train step (trainer)", Ms(studentStep.MedianSeconds), Ms(studentStep.PerBatchSeconds), Ms(studentStep.MedianCpuSeconds));
        table.AddRow("teacher no-grad forward", Ms(teacherForward), $"{Ms(teacherForward)} ({100 * teacherForward / distillStep.PerBatchSeconds:0}% of distill)", Ms(teacherCpu));
        table.AddRow("student step + teacher forward", "", Ms(studentStep.PerBatchSeconds + teacherForward), "");
        table.AddRow($"distill step ({options.Method}, trainer)", Ms(distillStep.MedianSeconds),
            $"{Ms(distillStep.PerBatchSeconds)} ({distillStep.PerBatchSeconds / studentStep.PerBatchSeconds:0.00}x student)", Ms(distillStep.MedianCpuSeconds));
        table.AddRow("mask building", Ms(maskBuild), $"{100 * maskBuild / distillStep.PerBatchSeconds:0.00}% of distill", Ms(maskCpu));
    }

    /// <summary>1-minute load average (Linux), recorded because timings on a shared machine depend on it.</summary>

    static string Ms(double s) => (s * 1000).ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    /// <summary>Boxes of 2–40% of the image side at random places, <paramref name="perImage"/> per image.</summary>
    internal static Tensor RandomTargets(int batch, int perImage, int nc, Random rng)
    {
        var rows = new float[batch * perImage * 6];
        for (int i = 0; i < batch * perImage; i++)
        {
            float w = 0.02f + 0.38f * rng.NextSingle(), h = 0.02f + 0.38f * rng.NextSingle();
            rows[6 * i] = i / perImage;
            rows[6 * i + 1] = rng.Next(nc);
            rows[6 * i + 2] = w / 2 + (1 - w) * rng.NextSingle();
            rows[6 * i + 3] = h / 2 + (1 - h) * rng.NextSingle();
            rows[6 * i + 4] = w;
            rows[6 * i + 5] = h;
        }
        return tensor(rows).view(-1, 6);
    }

    /// <summary>Median wall time and median process CPU time (all threads) of a step, in seconds.</summary>
    static (double Wall, double Cpu) Median(Settings a, Action step)
    {
        int iters = a.Iters;
        for (int i = 0; i < a.Warmup; i++)
        {
            a.Stop.ThrowIfCancellationRequested();
            step();
        }
        var wall = new double[iters];
        var cpu = new double[iters];
        using var proc = Process.GetCurrentProcess();
        for (int i = 0; i < iters; i++)
        {
            a.Stop.ThrowIfCancellationRequested();
            proc.Refresh();
            var c0 = proc.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            step();
            wall[i] = sw.Elapsed.TotalSeconds;
            proc.Refresh();
            cpu[i] = (proc.TotalProcessorTime - c0).TotalSeconds;
        }
        return (SampleStats.MedianOf(wall), SampleStats.MedianOf(cpu));
    }
}
