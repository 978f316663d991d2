namespace YoloDistill.Distill.Demo;

/// <summary>
/// The two weights files the repository ships and how they are made (README, "The shipped weights"): a pretraining set
/// of other classes (<c>dataset synth --domain pretrain</c>); yolov5n pretrained on it, the students' start; yolov5s
/// trained from scratch on the built-in data, then trained again from those weights with a fresh schedule (a second
/// warm-up and decay, which took it from mAP50-95 0.148 to 0.25), the teacher. Each is exported detector-only.
/// </summary>
public static class ShippedWeights
{
    public const string StudentPretrain = "pretrain-student";
    public const string TeacherScratch = "teacher-scratch";

    /// <summary>Checks that both files are there, or makes them when the options say so.</summary>
    public static async Task<int> Get(DemoContext ctx)
    {
        var o = ctx.Options;
        if (!o.MakeWeights)
        {
            foreach (var f in new[] { o.StudentWeights, o.Teacher })
                if (!File.Exists(f))
                    throw new FileNotFoundException(
                        $"{f}: the shipped weights are missing. Run with --make-weights to make them (hours on 2 cores, README: \"The shipped weights\"), or pass --teacher / --student-weights.", f);
            return 0;
        }
        string I(int v) => DemoPipeline.I(v);
        int code = 0;
        if (!File.Exists(Path.Combine(o.PretrainData, "annotations", "instances_val.json")))
            code = await ctx.RunVerb(["dataset", "synth", "--domain", "pretrain", "--out", o.PretrainData, "--seed", I(o.PretrainSeed),
                                      "--train", I(o.PretrainImages), "--val", I(o.PretrainImages / 8), "--img", I(o.Img)]);
        if (code == 0) code = await DemoPipeline.Train(ctx, StudentPretrain, o.PretrainData, o.StudentPretrainEpochs, ["--cfg", o.Student]);
        // Ship the detector alone (EMA weights and configuration), not the run's optimizer state.
        if (code == 0) code = await ctx.RunVerb(["export", "--weights", ctx.BestWeights(StudentPretrain), "--format", "torchsharp", "--out", o.StudentWeights]);
        if (code == 0) code = await DemoPipeline.Train(ctx, TeacherScratch, o.Data, o.TeacherScratchEpochs, ["--cfg", o.TeacherModel]);
        if (code == 0) code = await DemoPipeline.Train(ctx, DemoPipeline.TeacherRun, o.Data, o.TeacherEpochs, ["--weights", ctx.BestWeights(TeacherScratch)]);
        if (code == 0) code = await ctx.RunVerb(["export", "--weights", ctx.BestWeights(DemoPipeline.TeacherRun), "--format", "torchsharp", "--out", o.Teacher]);
        return code;
    }
}
