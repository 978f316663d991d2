using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using TorchSharp;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Loss;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Training;
using YoloDistill.Distill.Distillation;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Cli;

/// <summary>
/// yolo-distill bench distill-step: median time of one distillation step (teacher no-grad forward, student forward,
/// detection loss, masks, adapters, distillation losses, backward, SGD step) against a plain student training step
/// plus a teacher forward, and the share of the step spent building the imitation masks. Random images and boxes
/// (seeded), random-initialised models unless weights are given.
/// </summary>
public static class BenchDistillStepCommand
{
    public static Command Create()
    {
        var teacher = new Option<string>("--teacher") { Description = "Teacher: yolov5n..x (random init) or a weights file", DefaultValueFactory = _ => "yolov5s" };
        var student = new Option<string>("--student") { Description = "Student: yolov5n..x (random init) or a weights file", DefaultValueFactory = _ => "yolov5n" };
        var batch = new Option<int>("--batch") { Description = "Batch size", DefaultValueFactory = _ => 16 };
        var img = new Option<int>("--img") { Description = "Square input size (multiple of 32)", DefaultValueFactory = _ => 320 };
        var method = new Option<string>("--method") { Description = "fgfi, cwd, kd or a '+' combination", DefaultValueFactory = _ => "fgfi" };
        var boxes = new Option<int>("--boxes") { Description = "Random boxes per image (a mosaic of COCO images holds about 30)", DefaultValueFactory = _ => 30 };
        var iters = new Option<int>("--iters") { Description = "Timed iterations per measurement", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed iterations before each measurement", DefaultValueFactory = _ => 2 };
        var threads = new Option<int>("--threads") { Description = "Torch intra-op threads (0 = libtorch default)", DefaultValueFactory = _ => 0 };
        var masksOnly = new Option<bool>("--masks-only") { Description = "Only time the mask building (no models)" };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto", DefaultValueFactory = _ => "auto" };
        var precision = new Option<string>("--teacher-precision") { Description = "Teacher number format: auto, fp32, bf16 or fp16 (as distill)", DefaultValueFactory = _ => "auto" };
        var outFile = new Option<string?>("--out") { Description = "Result file (default runs/bench/distill-step/exp.../distill_step.json)" };
        var cmd = new Command("distill-step", "Time of one distillation step vs a student training step plus a teacher forward, and the mask-building share");
        foreach (var o in new Option[] { teacher, student, batch, img, method, boxes, iters, warmup, threads, masksOnly, device, precision, outFile }) cmd.Options.Add(o);
        cmd.SetAction((pr, ct) => Task.FromResult(Run(new Settings(pr.GetValue(teacher)!, pr.GetValue(student)!, pr.GetValue(batch), pr.GetValue(img),
            pr.GetValue(method)!, pr.GetValue(boxes), pr.GetValue(iters), pr.GetValue(warmup), pr.GetValue(threads), pr.GetValue(masksOnly), pr.GetValue(device)!, pr.GetValue(precision)!, pr.GetValue(outFile), ct))));
        return cmd;
    }

    sealed record Settings(string Teacher, string Student, int Batch, int Img, string Method, int Boxes, int Iters, int Warmup, int Threads,
        bool MasksOnly, string Device, string Precision, string? Out, CancellationToken Stop = default);

    static int Run(Settings a)
    {
        if (a.Batch < 1) throw new ArgumentException($"--batch {a.Batch}: must be at least 1.");
        if (a.Img < 64 || a.Img % 32 != 0) throw new ArgumentException($"--img {a.Img}: must be a multiple of 32, at least 64.");
        if (a.Iters < 1) throw new ArgumentException($"--iters {a.Iters}: must be at least 1.");
        if (a.Warmup < 0) throw new ArgumentException($"--warmup {a.Warmup}: must not be negative.");
        if (a.Boxes < 0) throw new ArgumentException($"--boxes {a.Boxes}: must not be negative.");
        if (a.Threads < 0) throw new ArgumentException($"--threads {a.Threads}: must not be negative.");
        if (a.Threads > 0) torch.set_num_threads(a.Threads);
        var options = DistillOptions.For(a.Method) with { TeacherPrecision = TeacherPrecisionParser.Parse(a.Precision) };
        var dev = DeviceSelector.Parse(a.Device);
        int batch = a.Batch, img = a.Img;
        var result = new Dictionary<string, object>
        {
            ["teacher"] = a.Teacher, ["student"] = a.Student, ["method"] = options.Method,
            ["batch"] = batch, ["img"] = img, ["boxes_per_image"] = a.Boxes, ["iters"] = a.Iters, ["warmup"] = a.Warmup,
            ["device"] = dev.ToString(), ["threads"] = torch.get_num_threads(), ["load_average"] = LoadAverage(),
        };
        var table = new Table().AddColumn("measurement").AddColumn(new TableColumn("median wall").RightAligned())
            .AddColumn(new TableColumn("median CPU (all threads)").RightAligned());

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
            torch.manual_seed(0);
            using var teacher = BuildTeacher(a.Teacher, dev);
            using var studentModel = BuildModel(a.Student, dev);
            teacher.CheckCompatible(studentModel.Config, options);
            teacher.UsePrecision(options.TeacherPrecision, dev);
            result["teacher_dtype"] = teacher.ComputeType.ToString();
            using var adapters = options.NeedsAdapters ? DistillationLoss.CreateAdapters(teacher.Config, studentModel.Config, options) : null;
            adapters?.to(dev);
            var distill = new DistillationLoss(options, teacher.Config, studentModel.Config, adapters);
            var hyp = new Hyp().ScaledForModel(studentModel.Config.NumLevels, studentModel.Config.Nc, img);
            using var det = new ComputeLoss(hyp, studentModel.Config);
            var parameters = studentModel.parameters().Concat(adapters?.parameters() ?? []).ToArray();
            using var sgd = optim.SGD(parameters, 0.001, momentum: 0.9, nesterov: true);
            studentModel.train();
            using var images = rand(batch, 3, img, img, device: dev);
            using var stepTargets = targets[targets[.., 1] < studentModel.Config.Nc];

            // ComputeLoss caches its per-device anchors on first use; create them outside the timed steps' dispose scopes.
            using (var o = studentModel.forward(images))
            {
                var (l, it) = det.Compute(o.Raw, stepTargets);
                l.Dispose();
                it.Dispose();
            }

            var (studentStep, studentCpu) = Median(a, () =>
            {
                using var scope = NewDisposeScope();
                using var o = studentModel.forward(images);
                var (loss, _) = det.Compute(o.Raw, stepTargets);
                sgd.zero_grad();
                loss.backward();
                sgd.step();
            });
            var (teacherForward, teacherCpu) = Median(a, () =>
            {
                using var scope = NewDisposeScope();
                using var o = teacher.Forward(images);
            });
            long iteration = 0;
            var (distillStep, distillCpu) = Median(a, () =>
            {
                using var scope = NewDisposeScope();
                using var t = teacher.Forward(images);
                using var s = studentModel.forward(images);
                var (loss, _) = det.Compute(s.Raw, stepTargets);
                using var terms = distill.Compute(s, t, stepTargets, new DistillProgress(iteration++, 1000));
                var total = loss + terms.Total * batch;
                sgd.zero_grad();
                total.backward();
                sgd.step();
            });
            result["student_step_s"] = studentStep;
            result["teacher_forward_s"] = teacherForward;
            result["student_plus_teacher_s"] = studentStep + teacherForward;
            result["distill_step_s"] = distillStep;
            result["overhead_s"] = distillStep - studentStep - teacherForward;
            result["mask_share_of_distill_step"] = maskBuild / distillStep;
            result["student_step_cpu_s"] = studentCpu;
            result["teacher_forward_cpu_s"] = teacherCpu;
            result["distill_step_cpu_s"] = distillCpu;
            result["mask_cpu_share_of_distill_step"] = maskCpu / distillCpu;
            table.AddRow("student train step", Ms(studentStep), Ms(studentCpu));
            table.AddRow("teacher no-grad forward", Ms(teacherForward), Ms(teacherCpu));
            table.AddRow("student step + teacher forward", Ms(studentStep + teacherForward), Ms(studentCpu + teacherCpu));
            table.AddRow($"distill step ({options.Method})", Ms(distillStep), Ms(distillCpu));
            table.AddRow("mask building", $"{Ms(maskBuild)} ({100 * maskBuild / distillStep:0.00}%)", $"{Ms(maskCpu)} ({100 * maskCpu / distillCpu:0.00}%)");
        }
        else table.AddRow("mask building", Ms(maskBuild), Ms(maskCpu));

        var path = a.Out ?? Path.Combine(RunDirectory.Resolve(null, Path.Combine("bench", "distill-step")), "distill_step.json");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
        AnsiConsole.MarkupLine($"{Markup.Escape(a.Teacher)} -> {Markup.Escape(a.Student)}, batch {batch} at {img}, {a.Boxes} boxes/image, {dev}, " +
                               $"{torch.get_num_threads()} threads, load average {result["load_average"]}");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"Results saved to [bold]{Markup.Escape(path)}[/]");
        return 0;
    }

    /// <summary>1-minute load average (Linux), recorded because timings on a shared machine depend on it.</summary>
    static string LoadAverage()
    {
        try { return File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a"; }
        catch (IOException) { return "n/a"; }
    }

    static string Ms(double s) => (s * 1000).ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    static YoloModel BuildModel(string arg, Device dev)
    {
        if (File.Exists(arg)) return Detector.Weights.ModelLoader.Load(arg, dev);
        var model = new YoloModel(ModelConfig.FromName(arg));
        model.to(dev);
        return model;
    }

    static Teacher BuildTeacher(string arg, Device dev) => File.Exists(arg) ? Teacher.Load(arg, dev) : new Teacher(BuildModel(arg, dev), arg);

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
        return (Mid(wall), Mid(cpu));
    }

    static double Mid(double[] v)
    {
        Array.Sort(v);
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}
