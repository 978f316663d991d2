using System.Globalization;

namespace YoloDistill.Distill.Demo;

/// <summary>
/// The main job as a list of stages, each one a yolo-distill verb run in-process with the arguments a user would type:
/// make the data, take the shipped pretrained student and teacher (or make them), fine-tune the baseline student,
/// distill the FGFI student from the same start with the same budget, evaluate all three, export the student to ONNX and
/// check it, run both students on a labelled video, and write the report.
/// </summary>
public static class DemoPipeline
{
    public const string Baseline = "baseline";
    public const string Distilled = "distilled";
    public const string TeacherRun = "teacher";
    public const string Weights = "weights";

    public static IReadOnlyList<DemoStage> Stages(DemoOptions o) =>
    [
        new("data", "Synthetic dataset", async ctx =>
            Directory.Exists(Path.Combine(o.Data, "annotations")) && File.Exists(Path.Combine(o.Data, "annotations", "instances_val.json"))
                ? 0
                : await ctx.RunVerb(["dataset", "synth", "--out", o.Data, "--seed", I(o.DataSeed), "--img", I(o.Img)])),

        new(Weights, o.MakeWeights ? "Pretrained student and teacher (the README's recipe)" : "Shipped weights", ctx => ShippedWeights.Get(ctx)),

        new(Baseline, "Baseline student (from the pretrained weights)", ctx => Train(ctx, Baseline, o.Data, o.Epochs, ["--weights", o.StudentWeights])),

        new(Distilled, $"Distilled student ({o.Method}, from the pretrained weights)", ctx =>
        {
            var run = ctx.RunDir(Distilled);
            if (File.Exists(ctx.LastWeights(Distilled))) return ctx.RunVerb(["distill", "--resume", run, "--threads", I(o.Threads)]);
            string[] weight = o.ImitationWeight is { } w ? ["--imitation-weight", D(w)] : [];
            return ctx.RunVerb([
                "distill", "--data", o.Data, "--train-split", "train", "--val-split", "val",
                "--teacher", o.Teacher, "--student", o.Student, "--student-weights", o.StudentWeights, "--method", o.Method, .. weight,
                "--epochs", I(o.Epochs), "--batch", I(o.Batch), "--img", I(o.Img), "--seed", I(o.Seed),
                "--workers", I(o.Workers), "--device", o.Device, "--threads", I(o.Threads), "--out", run]);
        }),

        new("val", "Evaluate teacher, baseline and distilled student", async ctx =>
        {
            foreach (var (name, weights) in Models(ctx))
            {
                var code = await ctx.RunVerb([
                    "val", "--data", o.Data, "--split", "val", "--weights", weights, "--img", I(o.Img),
                    "--batch", I(o.Batch), "--device", o.Device, "--out", ctx.RunDir("val-" + name)]);
                if (code != 0) return code;
            }
            return 0;
        }),

        new("masks", "FGFI imitation masks (first 8 validation images)", ctx => ctx.RunVerb([
            "masks", "--data", o.Data, "--split", "val", "--img", I(o.Img), "--limit", "8", "--out", ctx.RunDir("masks")])),

        new("export", "Export the distilled student to ONNX", ctx => ctx.RunVerb([
            "export", "--weights", ctx.BestWeights(Distilled), "--format", "onnx", "--img", I(o.Img),
            "--out", OnnxPath(ctx)])),

        new("video", "Demo video of the same domain", ctx => ctx.RunVerb([
            "dataset", "synth-video", "--out", VideoPath(ctx), "--seed", I(o.DataSeed + 1)])),

        new("detect", "Detect on the demo video: the ONNX student, and the baseline for comparison", async ctx =>
        {
            var code = await ctx.RunVerb([
                "detect", "--weights", OnnxPath(ctx), "--backend", "onnx", "--source", VideoPath(ctx),
                "--img", I(o.Img), "--conf", D(o.DetectConf), "--out", ctx.RunDir("detect")]);
            if (code != 0) return code;
            return await ctx.RunVerb([
                "detect", "--weights", ctx.BestWeights(Baseline), "--source", VideoPath(ctx),
                "--img", I(o.Img), "--conf", D(o.DetectConf), "--out", ctx.RunDir("detect-" + Baseline)]);
        }),

        new("report", "Report", ctx => DemoReport.WriteAsync(ctx)),
    ];

    public static IEnumerable<(string Name, string Weights)> Models(DemoContext ctx) =>
    [
        ("teacher", ctx.Options.Teacher),
        (Baseline, ctx.BestWeights(Baseline)),
        (Distilled, ctx.BestWeights(Distilled)),
    ];

    public static string OnnxPath(DemoContext ctx) => Path.Combine(ctx.RunDir("export"), "student.onnx");
    public static string VideoPath(DemoContext ctx) => Path.Combine(ctx.RunDir("video"), "shapes.mp4");

    /// <summary>A training run of the main job (resumed when its folder holds a checkpoint); <paramref name="start"/> is --cfg or --weights.</summary>
    internal static Task<int> Train(DemoContext ctx, string run, string data, int epochs, string[] start)
    {
        var o = ctx.Options;
        var dir = ctx.RunDir(run);
        if (File.Exists(ctx.LastWeights(run))) return ctx.RunVerb(["train", "--resume", dir, "--threads", I(o.Threads)]);
        return ctx.RunVerb([
            "train", "--data", data, "--train-split", "train", "--val-split", "val", .. start,
            "--epochs", I(epochs), "--batch", I(o.Batch), "--img", I(o.Img), "--seed", I(o.Seed),
            "--workers", I(o.Workers), "--device", o.Device, "--threads", I(o.Threads), "--out", dir]);
    }

    internal static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
    static string D(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
