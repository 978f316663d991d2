using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsvHelper;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Evaluation;
using YoloDistill.Detector.Inference;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Weights;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Demo;

/// <summary>One row of the main job's table.</summary>
public sealed record DemoRow(string Model, string Arch, string Weights, long Parameters, double Gflops,
                             double Map50_95, double Map50, double LatencyMs);

/// <summary>
/// Builds runs/demo/report.md and report.csv from what the stages wrote: the COCO stats of each model's val run,
/// parameters and GFLOPs of each model, torch latency at batch 1, the ONNX Runtime check, and every artefact's path.
/// </summary>
public static class DemoReport
{
    public static Task<int> WriteAsync(DemoContext ctx)
    {
        var o = ctx.Options;
        var rows = DemoPipeline.Models(ctx).Select(m => Measure(ctx, m.Name, m.Weights)).ToList();
        var onnx = CheckOnnx(ctx);

        var baseline = rows.Single(r => r.Model == DemoPipeline.Baseline);
        var distilled = rows.Single(r => r.Model == DemoPipeline.Distilled);

        WriteCsv(Path.Combine(ctx.Out, "report.csv"), rows);

        var md = new StringBuilder();
        md.AppendLine("# yolo-distill main job report").AppendLine();
        md.AppendLine($"Data `{o.Data}` (split val), image size {o.Img}; both {o.Student} students start from `{o.StudentWeights}` and train " +
                      $"{o.Epochs} epochs, batch {o.Batch}, seed {o.Seed}; distillation `{o.Method}` from `{o.Teacher}` with " +
                      (o.ImitationWeight is { } w ? $"imitation weight {w.ToString(CultureInfo.InvariantCulture)}" : "distill's default settings") + ".").AppendLine();
        md.AppendLine("| model | arch | parameters | GFLOPs | mAP50-95 | mAP50 | latency (ms, batch 1, torch fused) |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
            md.AppendLine($"| {r.Model} | {r.Arch} | {r.Parameters:N0} | {r.Gflops:F1} | {r.Map50_95:F4} | {r.Map50:F4} | {r.LatencyMs:F1} |");
        md.AppendLine();
        var teacher = rows.Single(r => r.Model == "teacher");
        double gap = teacher.Map50_95 - baseline.Map50_95;
        md.AppendLine($"Gain from distillation ({o.Method}) over the baseline student: mAP50-95 {Signed(distilled.Map50_95 - baseline.Map50_95)}, " +
                      $"mAP50 {Signed(distilled.Map50 - baseline.Map50)}" +
                      (gap > 0 ? $"; {100 * (distilled.Map50_95 - baseline.Map50_95) / gap:F0}% of the teacher-baseline mAP50-95 gap recovered" : "") +
                      " (one seed; the README's benchmark has three).").AppendLine();
        var video = VideoScores(ctx);
        md.AppendLine($"Demo video (`{DemoPipeline.VideoPath(ctx)}`, {video[0].Score.Frames} frames, {video[0].Score.Labels} labelled objects): " +
                      $"detections at conf {o.DetectConf.ToString(CultureInfo.InvariantCulture)} matched to the labels at IoU 0.5 with the right class.").AppendLine();
        md.AppendLine("| student | detections | precision | recall |");
        md.AppendLine("|---|---:|---:|---:|");
        foreach (var (name, score) in video)
            md.AppendLine($"| {name} | {score.Detections} | {score.Precision:F3} | {score.Recall:F3} |");
        md.AppendLine();
        md.AppendLine($"ONNX check: `{DemoPipeline.OnnxPath(ctx)}` run with ONNX Runtime on a validation image; max |onnx - torch| over all outputs = {onnx:E2}.").AppendLine();
        AppendMachineAndTimes(md, ctx);
        md.AppendLine("## Artefacts").AppendLine();
        foreach (var (label, path) in Artefacts(ctx))
            md.AppendLine($"- {label}: `{path}`{(File.Exists(path) || Directory.Exists(path) ? "" : " (missing)")}");
        File.WriteAllText(Path.Combine(ctx.Out, "report.md"), md.ToString());
        return Task.FromResult(0);
    }

    /// <summary>The machine the job ran on and each stage's wall time (summed over the runs it took).</summary>
    static void AppendMachineAndTimes(StringBuilder md, DemoContext ctx)
    {
        var m = MachineInfo.Current();
        md.AppendLine("## Machine and wall times").AppendLine();
        md.AppendLine($"CPU {m}; {m.Os}.").AppendLine();
        md.AppendLine("| stage | wall time (m:ss) |");
        md.AppendLine("|---|---:|");
        var total = TimeSpan.Zero;
        foreach (var st in DemoPipeline.Stages(ctx.Options))
        {
            var t = st.WallTime(ctx);
            total += t ?? TimeSpan.Zero;
            md.AppendLine($"| {st.Title} | {(t is { } w ? MinSec(w) : st.IsDone(ctx) ? "-" : "(this stage)")} |");
        }
        md.AppendLine($"| total of the stages above | {MinSec(total)} |").AppendLine();
    }

    static string MinSec(TimeSpan t) => $"{(int)t.TotalMinutes}:{t.Seconds:D2}";

    public static IEnumerable<(string Label, string Path)> Artefacts(DemoContext ctx) =>
    [
        ("report table (csv)", Path.Combine(ctx.Out, "report.csv")),
        ("baseline curves", Path.Combine(ctx.RunDir(DemoPipeline.Baseline), "results.png")),
        ("baseline results.csv", Path.Combine(ctx.RunDir(DemoPipeline.Baseline), "results.csv")),
        ("distilled curves", Path.Combine(ctx.RunDir(DemoPipeline.Distilled), "results.png")),
        ("distilled results.csv", Path.Combine(ctx.RunDir(DemoPipeline.Distilled), "results.csv")),
        ("distilled student checkpoint", ctx.BestWeights(DemoPipeline.Distilled)),
        ("PR curve (distilled)", Path.Combine(ctx.RunDir("val-" + DemoPipeline.Distilled), "PR_curve.png")),
        ("confusion matrix (distilled)", Path.Combine(ctx.RunDir("val-" + DemoPipeline.Distilled), "confusion_matrix.png")),
        ("imitation mask images", ctx.RunDir("masks")),
        ("ONNX student", DemoPipeline.OnnxPath(ctx)),
        ("demo video (input)", DemoPipeline.VideoPath(ctx)),
        ("demo video labels", SynthVideo.LabelsPath(DemoPipeline.VideoPath(ctx))),
        ("demo video (detections)", Path.Combine(ctx.RunDir("detect"), "shapes.mp4")),
        ("detections.csv", Path.Combine(ctx.RunDir("detect"), "detections.csv")),
        ("baseline's detections.csv", Path.Combine(ctx.RunDir("detect-" + DemoPipeline.Baseline), "detections.csv")),
    ];

    /// <summary>Precision and recall on the labelled demo video of the distilled (ONNX) student and of the baseline.</summary>
    static IReadOnlyList<(string Name, VideoScoreResult Score)> VideoScores(DemoContext ctx)
    {
        var labels = SynthVideo.LabelsPath(DemoPipeline.VideoPath(ctx));
        return
        [
            ($"{DemoPipeline.Distilled} (onnx)", VideoScore.Score(labels, Path.Combine(ctx.RunDir("detect"), "detections.csv"))),
            (DemoPipeline.Baseline, VideoScore.Score(labels, Path.Combine(ctx.RunDir("detect-" + DemoPipeline.Baseline), "detections.csv"))),
        ];
    }

    static DemoRow Measure(DemoContext ctx, string name, string weights)
    {
        var o = ctx.Options;
        var (map, map50) = ReadStats(Path.Combine(ctx.RunDir("val-" + name), "stats.json"));
        var model = ModelLoader.Load(weights);
        var config = model.Config;
        var (parameters, gflops) = ModelSummary.Count(model, o.Img);
        using var backend = new TorchBackend(model, DeviceSelector.Parse(o.Device), fuse: true);
        var latency = InferenceBench.Measure(backend, o.Img, runs: 20, warmup: 3);
        return new DemoRow(name, config.ModelName, weights, parameters, gflops, map, map50, latency.MedianMs);
    }

    static (double Map, double Map50) ReadStats(string statsJson)
    {
        if (!File.Exists(statsJson)) throw new FileNotFoundException($"{statsJson}: the val stage did not write its stats.", statsJson);
        var node = JsonNode.Parse(File.ReadAllText(statsJson))!;
        var coco = node["coco"]!.AsArray();
        return (coco[0]!.GetValue<double>(), coco[1]!.GetValue<double>());
    }

    /// <summary>Runs the exported ONNX student and the TorchSharp student on the same letterboxed validation image.</summary>
    static double CheckOnnx(DemoContext ctx)
    {
        var o = ctx.Options;
        var image = Directory.EnumerateFiles(Path.Combine(o.Data, "val"), "*.jpg").Order(StringComparer.Ordinal).First();
        using var scope = NewDisposeScope();
        var (x, _) = Letterbox.LoadForInference(image, o.Img);
        using var onnx = new OnnxBackend(DemoPipeline.OnnxPath(ctx));
        using var torchBackend = TorchBackend.Load(ctx.BestWeights(DemoPipeline.Distilled), CPU, fuse: true);
        var a = onnx.Forward(x);
        var b = torchBackend.Forward(x);
        var diff = (a - b).abs().max().item<float>();
        File.WriteAllText(Path.Combine(ctx.RunDir("export"), "onnx_check.json"),
            JsonSerializer.Serialize(new { image, max_abs_diff = diff, outputs = a.shape }));
        return diff;
    }

    static void WriteCsv(string path, IReadOnlyList<DemoRow> rows)
    {
        using var w = new StreamWriter(path);
        using var csv = CsvWriter.Create(w, new CsvWriterOptions { NewLine = "\n", FormatProvider = CultureInfo.InvariantCulture });
        csv.WriteRecord(["model", "arch", "weights", "parameters", "gflops", "map50_95", "map50", "latency_ms"]);
        foreach (var r in rows)
            csv.WriteRecord([r.Model, r.Arch, r.Weights, F(r.Parameters), F(r.Gflops), F(r.Map50_95), F(r.Map50), F(r.LatencyMs)]);
    }

    static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    static string Signed(double v) => (v >= 0 ? "+" : "") + v.ToString("F4", CultureInfo.InvariantCulture);
}
