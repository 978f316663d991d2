using TorchSharp;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Training;
using YoloDistill.Detector.Weights;
using YoloDistill.Distill.Distillation;
using YoloDistill.Tests;

namespace YoloDistill.Distill.Tests.Distillation;

/// <summary>The library API a .NET program distills with: create, follow, cancel, resume, result.</summary>
[Collection(GlobalGeneratorCollection.Name)]
public class DistillerTests
{
    static TinyDistillSetup Make() => TinyDistillSetup.Create("distiller", dataSeed: 21, weightsSeed: 23);

    static DistillRunOptions Options(TinyDistillSetup s, string dir) => new()
    {
        Teacher = s.Teacher,
        Student = new TrainOptions
        {
            Data = s.Data, TrainSplit = "train", ValSplit = "val", Weights = s.StudentInit, Cfg = "yolov5n", Epochs = 2, BatchSize = 4,
            ImgSize = 64, Workers = 1, Seed = 5, Device = "cpu", SaveDir = Path.Combine(s.Root, dir), NoPlots = true,
        },
        Distill = DistillOptions.For("fgfi+kd"),
    };

    [Fact]
    public void A_run_reports_progress_and_a_cancelled_one_resumes_to_the_same_result()
    {
        var s = Make();
        int steps = 0;
        var epochs = new List<int>();
        TrainSummary full;
        using (var run = Distiller.Create(Options(s, "full")))
        {
            run.StepProgress = new InlineProgress<TrainStepProgress>(_ => steps++);
            run.EpochProgress = new InlineProgress<TrainEpochProgress>(e => epochs.Add(e.Result.Epoch));
            Assert.Equal("fgfi+kd", run.Extension.Options.Method);
            full = run.Run();
        }
        Assert.Equal(4, steps); // 8 images, batch 4, 2 epochs
        Assert.Equal([0, 1], epochs);
        Assert.Equal([0, 1], full.Epochs.Select(e => e.Epoch));
        Assert.True(File.Exists(full.BestCheckpoint));
        Assert.Contains("train/imit_loss", File.ReadLines(Path.Combine(full.SaveDir, "results.csv")).First());

        var stopped = Options(s, "stopped");
        using (var cts = new CancellationTokenSource())
        using (var run = Distiller.Create(stopped))
        {
            run.EpochProgress = new InlineProgress<TrainEpochProgress>(_ => cts.Cancel());
            Assert.ThrowsAny<OperationCanceledException>(() => run.Run(cts.Token));
        }
        TrainSummary resumed;
        using (var run = Distiller.Resume(stopped.Student.SaveDir))
        {
            Assert.Equal(1, run.Trainer.StartEpoch);
            Assert.Equal(Path.GetFullPath(s.Teacher), run.Extension.Teacher.Source);
            resumed = run.Run();
        }
        Assert.Equal([1], resumed.Epochs.Select(e => e.Epoch));
        Assert.Equal(File.ReadAllText(Path.Combine(full.SaveDir, "results.csv")), File.ReadAllText(Path.Combine(resumed.SaveDir, "results.csv")));
    }

    [Fact]
    public void Bad_runs_are_refused_before_anything_is_written()
    {
        var s = Make();
        var missing = Options(s, "missing") with { Teacher = Path.Combine(s.Root, "nope.pt") };
        var e = Assert.Throws<FileNotFoundException>(() => Distiller.Create(missing));
        Assert.Contains("nope.pt: teacher weights not found", e.Message);
        Assert.False(Directory.Exists(missing.Student.SaveDir));
        Assert.Throws<ArgumentException>(() => Distiller.Create(Options(s, "none") with { Distill = new DistillOptions { Losses = [] } }));

        // A plain training run, stopped after its first epoch, is not a distillation to resume.
        var trainDir = Path.Combine(s.Root, "train");
        using (var cts = new CancellationTokenSource())
        using (var t = new Trainer(Options(s, "train").Student, new Hyp()))
        {
            t.EpochProgress = new InlineProgress<TrainEpochProgress>(_ => cts.Cancel());
            Assert.ThrowsAny<OperationCanceledException>(() => t.Run(cts.Token));
        }
        var refused = Assert.Throws<ArgumentException>(() => Distiller.Resume(trainDir));
        Assert.Contains("not a distill run", refused.Message);
    }
}

