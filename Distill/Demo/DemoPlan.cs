using YoloDistill.Detector.Data;
using YoloDistill.Detector.Training;

namespace YoloDistill.Distill.Demo;

/// <summary>One stage the main job will run, with its expected wall time and what it will do.</summary>
public sealed record PlannedStage(DemoStage Stage, TimeSpan Expected, string Note);

/// <summary>
/// What the main job will do on this machine, shown at its start: the stages finished earlier, those it will run and
/// the expected wall time. A training stage is its steps left (epochs left times batches per epoch) times a training
/// step measured here (a few steps of the model on random data at the demo's batch and image size), plus the epoch's
/// validation and loader start; the other stages are short and taken from the main job's measured run, scaled by how
/// fast this machine's step is.
/// </summary>
public sealed record DemoPlan(IReadOnlyList<DemoStage> Done, IReadOnlyList<PlannedStage> ToRun, double? StepSeconds)
{
    /// <summary>An epoch's wall time over its steps' (validation, loader start): 1.3 on the main job's measured run.</summary>
    const double EpochOverhead = 1.3;
    /// <summary>A distillation epoch over a student epoch with the bfloat16 teacher: 8.1 vs 5.4 min on the measured run.</summary>
    const double DistillFactor = 1.5;
    /// <summary>The yolov5n step (batch 16 at 320 px) of the development machine, on which the short stages were timed.</summary>
    const double ReferenceStepSeconds = 0.42;

    public TimeSpan Expected => TimeSpan.FromSeconds(ToRun.Sum(s => s.Expected.TotalSeconds));

    public static DemoPlan Make(DemoContext ctx, IReadOnlyList<DemoStage> stages)
    {
        var o = ctx.Options;
        var done = stages.Where(s => s.IsDone(ctx)).ToList();
        var pending = stages.Where(s => !s.IsDone(ctx)).ToList();
        bool trainsTeacher = o.TrainTeacher && pending.Any(s => s.Name == DemoPipeline.TeacherRun);
        bool trainsStudent = trainsTeacher || pending.Any(s => s.Name is DemoPipeline.Baseline or DemoPipeline.Distilled);
        double? step = trainsStudent ? MeasureStep(o.Student, o) : null;
        double? teacherStep = trainsTeacher ? MeasureStep(o.TeacherModel, o) : null;
        // The short stages (mostly inference) scale with the pixels and with how much slower this machine is than the
        // reference one, judged from the step per image and pixel (bounded: tiny sizes are dominated by overheads).
        double pixels = o.Img * o.Img / (320.0 * 320);
        double slower = step is { } s0 ? Math.Clamp(s0 / (ReferenceStepSeconds * o.Batch / 16.0 * pixels), 0.25, 4) : 1;
        int batches = (TrainImages(o.Data) + o.Batch - 1) / o.Batch;

        PlannedStage Plan(DemoStage st)
        {
            (string Run, int Epochs, double Step, double Factor)? training = st.Name switch
            {
                DemoPipeline.Baseline => (DemoPipeline.Baseline, o.Epochs, step ?? 0, 1),
                DemoPipeline.Distilled => (DemoPipeline.Distilled, o.Epochs, step ?? 0, DistillFactor),
                DemoPipeline.TeacherRun when o.TrainTeacher => (DemoPipeline.TeacherRun, o.TeacherEpochs, teacherStep ?? 0, 1),
                _ => null,
            };
            if (training is not { } t)
                return new PlannedStage(st, TimeSpan.FromSeconds(ShortStageSeconds(st.Name) * slower * pixels),
                    st.Name == DemoPipeline.TeacherRun ? "shipped weights" : "");
            int finished = EpochsDone(ctx, t.Run);
            int left = Math.Max(0, t.Epochs - finished);
            var note = $"{left} epochs x {batches} batches" + (finished > 0 ? $", resuming after epoch {finished - 1}" : "");
            return new PlannedStage(st, TimeSpan.FromSeconds(left * batches * t.Step * EpochOverhead * t.Factor), note);
        }

        return new DemoPlan(done, pending.Select(Plan).ToList(), step);
    }

    /// <summary>Median of two timed training steps after one warm-up step, at the demo's batch and image size.</summary>
    static double MeasureStep(string model, DemoOptions o) =>
        TrainStepBench.Measure(model, o.Batch, o.Img, o.Device, steps: 2, warmup: 1).MedianSeconds;

    /// <summary>Seconds on the development machine (README: evaluation 0.3 min; data, masks, export, video, detection 0.2 min).</summary>
    static double ShortStageSeconds(string stage) => stage switch
    {
        "data" => 10,
        "val" => 20,
        "report" => 10,
        "teacher" => 1,
        _ => 4,
    };

    static int TrainImages(string data)
    {
        var dir = Path.Combine(data, "train");
        return Directory.Exists(dir) ? Math.Max(1, Directory.EnumerateFiles(dir).Count()) : new SynthOptions().Train;
    }

    static int EpochsDone(DemoContext ctx, string run)
    {
        var csv = Path.Combine(ctx.RunDir(run), "results.csv");
        return File.Exists(ctx.LastWeights(run)) && File.Exists(csv) ? ResultsCsv.Read(csv).Count : 0;
    }
}
