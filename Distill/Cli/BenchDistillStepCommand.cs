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
        var iters = new Option<int>("--iters") { Description = "Timed iterations per measurement (after 2 warm-up ones)", DefaultValueFactory = _ => 10 };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto", DefaultValueFactory = _ => "auto" };
        var outDir = new Option<string?>("--out") { Description = "Output folder (default runs/bench/distill-step/exp...)" };
        var cmd = new Command("distill-step", "Time of one distillation step vs a student training step plus a teacher forward, and the mask-building share");
        foreach (var o in new Option[] { teacher, student, batch, img, method, boxes, iters, device, outDir }) cmd.Options.Add(o);
        cmd.SetAction(pr => Run(pr.GetValue(teacher)!, pr.GetValue(student)!, pr.GetValue(batch), pr.GetValue(img),
            pr.GetValue(method)!, pr.GetValue(boxes), pr.GetValue(iters), pr.GetValue(device)!, pr.GetValue(outDir)));
        return cmd;
    }

    static int Run(string teacherArg, string studentArg, int batch, int img, string methodText, int boxes, int iters, string deviceText, string? outDir)
    {
        if (batch < 1) throw new ArgumentException($"--batch {batch}: must be at least 1.");
        if (img < 64 || img % 32 != 0) throw new ArgumentException($"--img {img}: must be a multiple of 32, at least 64.");
        if (iters < 1) throw new ArgumentException($"--iters {iters}: must be at least 1.");
        if (boxes < 0) throw new ArgumentException($"--boxes {boxes}: must not be negative.");
        var options = new DistillOptions { Method = DistillMethodParser.Parse(methodText) };
        var dev = DeviceSelector.Parse(deviceText);
        torch.manual_seed(0);
        using var teacher = BuildTeacher(teacherArg, dev);
        using var studentModel = BuildModel(studentArg, dev);
        teacher.CheckCompatible(studentModel.Config, options.Method);
        using var adapters = options.NeedsAdapters ? DistillationLoss.CreateAdapters(teacher.Config, studentModel.Config, options.Adapter) : null;
        adapters?.to(dev);
        var distill = new DistillationLoss(options, teacher.Config, studentModel.Config, adapters);
        var hyp = new Hyp().ScaledForModel(studentModel.Config.NumLevels, studentModel.Config.Nc, img);
        using var det = new ComputeLoss(hyp, studentModel.Config);
        var parameters = studentModel.parameters().Concat(adapters?.parameters() ?? []).ToArray();
        using var sgd = optim.SGD(parameters, 0.001, momentum: 0.9, nesterov: true);
        studentModel.train();

        using var images = rand(batch, 3, img, img, device: dev);
        using var targets = RandomTargets(batch, boxes, studentModel.Config.Nc, new Random(0)).to(dev);

        // ComputeLoss caches its per-device anchors on first use; create them outside the timed steps' dispose scopes.
        using (var o = studentModel.forward(images))
        {
            var (l, it) = det.Compute(o.Raw, targets);
            l.Dispose();
            it.Dispose();
        }

        double studentStep = Median(iters, () =>
        {
            using var scope = NewDisposeScope();
            using var o = studentModel.forward(images);
            var (loss, _) = det.Compute(o.Raw, targets);
            sgd.zero_grad();
            loss.backward();
            sgd.step();
        });
        double teacherForward = Median(iters, () =>
        {
            using var scope = NewDisposeScope();
            using var o = teacher.Forward(images);
        });
        double maskBuild = Median(iters, () =>
        {
            using var scope = NewDisposeScope();
            var masks = ImitationMask.Build(targets, batch, img, img, studentModel.Config, options.Psi, dev);
            if (dev.type != DeviceType.CPU) masks[^1].cpu();
        });
        long iteration = 0;
        double distillStep = Median(iters, () =>
        {
            using var scope = NewDisposeScope();
            using var t = teacher.Forward(images);
            using var s = studentModel.forward(images);
            var (loss, _) = det.Compute(s.Raw, targets);
            using var terms = distill.Compute(s, t, targets, iteration++);
            var total = loss + terms.Total * batch;
            sgd.zero_grad();
            total.backward();
            sgd.step();
        });

        var dir = RunDirectory.Resolve(outDir, Path.Combine("bench", "distill-step"));
        var result = new Dictionary<string, object>
        {
            ["teacher"] = teacherArg, ["student"] = studentArg, ["method"] = DistillMethodParser.Format(options.Method),
            ["batch"] = batch, ["img"] = img, ["boxes_per_image"] = boxes, ["iters"] = iters, ["device"] = dev.ToString(),
            ["threads"] = torch.get_num_threads(),
            ["distill_step_s"] = distillStep, ["student_step_s"] = studentStep, ["teacher_forward_s"] = teacherForward,
            ["student_plus_teacher_s"] = studentStep + teacherForward,
            ["overhead_s"] = distillStep - studentStep - teacherForward,
            ["mask_build_s"] = maskBuild, ["mask_share_of_distill_step"] = maskBuild / distillStep,
        };
        var path = Path.Combine(dir, "distill_step.json");
        File.WriteAllText(path, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));

        var table = new Table().AddColumn("measurement").AddColumn(new TableColumn("median").RightAligned());
        table.AddRow("student train step", Ms(studentStep));
        table.AddRow("teacher no-grad forward", Ms(teacherForward));
        table.AddRow("student step + teacher forward", Ms(studentStep + teacherForward));
        table.AddRow($"distill step ({DistillMethodParser.Format(options.Method)})", Ms(distillStep));
        table.AddRow("mask building", $"{Ms(maskBuild)} ({100 * maskBuild / distillStep:0.00}% of the distill step)");
        AnsiConsole.MarkupLine($"{Markup.Escape(teacherArg)} -> {Markup.Escape(studentArg)}, batch {batch} at {img}, {boxes} boxes/image, {dev}, {torch.get_num_threads()} threads");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"Results saved to [bold]{Markup.Escape(path)}[/]");
        return 0;
    }

    static string Ms(double s) => (s * 1000).ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    static YoloModel BuildModel(string arg, Device dev)
    {
        if (File.Exists(arg))
        {
            using var w = Detector.Weights.WeightsFile.Load(arg);
            var m = new YoloModel(w.Config);
            m.LoadStateDictStrict(w.StateDict, arg);
            m.to(dev);
            return m;
        }
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

    static double Median(int iters, Action step)
    {
        for (int i = 0; i < 2; i++) step();
        var times = new double[iters];
        for (int i = 0; i < iters; i++)
        {
            var sw = Stopwatch.StartNew();
            step();
            times[i] = sw.Elapsed.TotalSeconds;
        }
        Array.Sort(times);
        return iters % 2 == 1 ? times[iters / 2] : (times[iters / 2 - 1] + times[iters / 2]) / 2;
    }
}
