using TorchSharp;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Model;
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
    /// <summary>Distillation's own work in a step beyond the student step and the teacher's forward (masks, adapters, loss): 1.1.</summary>
    const double DistillOverhead = 1.1;
    /// <summary>The yolov5n step (batch 16 at 320 px) of the development machine, on which the short stages were timed.</summary>
    const double ReferenceStepSeconds = 0.42;

    public TimeSpan Expected => TimeSpan.FromSeconds(ToRun.Sum(s => s.Expected.TotalSeconds));

    public static DemoPlan Make(DemoContext ctx, IReadOnlyList<DemoStage> stages)
    {
        var o = ctx.Options;
        var done = stages.Where(s => s.IsDone(ctx)).ToList();
        var pending = stages.Where(s => !s.IsDone(ctx)).ToList();
        bool makesWeights = o.MakeWeights && pending.Any(s => s.Name == DemoPipeline.Weights);
        bool distills = pending.Any(s => s.Name == DemoPipeline.Distilled);
        bool trainsStudent = makesWeights || distills || pending.Any(s => s.Name == DemoPipeline.Baseline);
        double? step = trainsStudent ? MeasureStep(o.Student, o) : null;
        double? teacherStep = makesWeights ? MeasureStep(o.TeacherModel, o) : null;
        // The distilled student's step is its own step plus the teacher's forward in the format it will run in.
        double teacherForward = distills ? MeasureTeacherForward(o) : 0;
        // The short stages (mostly inference) scale with the pixels and with how much slower this machine is than the
        // reference one, judged from the step per image and pixel (bounded: tiny sizes are dominated by overheads).
        double pixels = o.Img * o.Img / (320.0 * 320);
        double slower = step is { } s0 ? Math.Clamp(s0 / (ReferenceStepSeconds * o.Batch / 16.0 * pixels), 0.25, 4) : 1;
        int batches = Batches(o.Data, new SynthOptions().Train, o.Batch);

        double Training(string run, int epochs, int batchesPerEpoch, double stepSeconds) =>
            Math.Max(0, epochs - EpochsDone(ctx, run)) * batchesPerEpoch * stepSeconds * EpochOverhead;

        PlannedStage Plan(DemoStage st)
        {
            if (st.Name == DemoPipeline.Weights && o.MakeWeights)
            {
                int pre = Batches(o.PretrainData, o.PretrainImages, o.Batch);
                double sec = Training(ShippedWeights.StudentPretrain, o.StudentPretrainEpochs, pre, step ?? 0)
                             + Training(ShippedWeights.TeacherScratch, o.TeacherScratchEpochs, batches, teacherStep ?? 0)
                             + Training(DemoPipeline.TeacherRun, o.TeacherEpochs, batches, teacherStep ?? 0);
                return new PlannedStage(st, TimeSpan.FromSeconds(sec), "pretrain the student, train the teacher twice");
            }
            (string Run, double Step)? training = st.Name switch
            {
                DemoPipeline.Baseline => (DemoPipeline.Baseline, step ?? 0),
                DemoPipeline.Distilled => (DemoPipeline.Distilled, ((step ?? 0) + teacherForward) * DistillOverhead),
                _ => null,
            };
            if (training is not { } t)
                return new PlannedStage(st, TimeSpan.FromSeconds(ShortStageSeconds(st.Name) * slower * pixels),
                    st.Name == DemoPipeline.Weights ? "shipped files" : "");
            int finished = EpochsDone(ctx, t.Run);
            int left = Math.Max(0, o.Epochs - finished);
            var note = $"{left} epochs x {batches} batches" + (finished > 0 ? $", resuming after epoch {finished - 1}" : "");
            return new PlannedStage(st, TimeSpan.FromSeconds(Training(t.Run, o.Epochs, batches, t.Step)), note);
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

    /// <summary>Batches per epoch of a dataset's train split (or of the size it will be made with).</summary>
    static int Batches(string data, int imagesIfAbsent, int batch)
    {
        var dir = Path.Combine(data, "train");
        int images = Directory.Exists(dir) ? Math.Max(1, Directory.EnumerateFiles(dir).Count()) : imagesIfAbsent;
        return (images + batch - 1) / batch;
    }

    /// <summary>Median of two timed no-grad forwards of a (randomly initialised) teacher, fused, in the number format distill will use.</summary>
    static double MeasureTeacherForward(DemoOptions o)
    {
        var device = DeviceSelector.Parse(o.Device);
        using var teacher = new Distillation.Teacher(new YoloModel(ModelConfig.FromName(o.TeacherModel)), o.TeacherModel);
        teacher.UsePrecision(Distillation.TeacherPrecision.Auto, device);
        using var images = torch.rand(o.Batch, 3, o.Img, o.Img, device: device);
        var times = new List<double>();
        for (int i = 0; i < 3; i++)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            using (teacher.Forward(images)) { }
            if (i > 0) times.Add(sw.Elapsed.TotalSeconds);
        }
        return times.Order().ElementAt(times.Count / 2);
    }

    static int EpochsDone(DemoContext ctx, string run)
    {
        var csv = Path.Combine(ctx.RunDir(run), "results.csv");
        return File.Exists(ctx.LastWeights(run)) && File.Exists(csv) ? ResultsCsv.Read(csv).Count : 0;
    }
}
