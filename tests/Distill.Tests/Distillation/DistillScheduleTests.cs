using TorchSharp;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Training;
using YoloDistill.Detector.Weights;
using YoloDistill.Distill.Distillation;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Tests.Distillation;

/// <summary>The run-level distillation schedule: a decay of every selected loss's weight and the last epochs without distillation.</summary>
public class DistillScheduleTests
{
    // 4 epochs of 3 iterations; the last epoch without distillation leaves iterations 0..8 distilled.
    static DistillProgress At(long iteration) => new(iteration, 12, 3);

    [Theory]
    [InlineData(0, 1.0)]
    [InlineData(4, 0.55)]   // half-way through the distilled iterations: 0.1 + 0.9 · (1 + cos(π/2)) / 2
    [InlineData(8, 0.1)]    // the last distilled iteration reaches the final factor
    [InlineData(9, 0.0)]    // the last epoch: off
    [InlineData(11, 0.0)]
    public void Cosine_decay_reaches_the_final_factor_at_the_last_distilled_iteration_then_stops(long iteration, double expected)
    {
        var s = new DistillSchedule(new LossSettings().With(DistillSchedule.Decay, WeightDecay.Cosine).With(DistillSchedule.StopEpochs, 1L));
        Assert.Equal(expected, s.Factor(At(iteration)), 12);
        Assert.Equal(iteration >= 9, s.IsStopped(At(iteration)));
    }

    [Fact]
    public void Defaults_leave_every_weight_as_it_was()
    {
        var s = new DistillSchedule(new LossSettings());
        foreach (var it in new long[] { 0, 5, 11 }) Assert.Equal(1.0, s.Factor(At(it)));
        Assert.False(s.IsStopped(At(11)));
        Assert.Null(s.Describe());
        Assert.Equal(0.1, DistillSchedule.Final.Default);
    }

    [Fact]
    public void The_run_schedule_multiplies_every_selected_losses_weight_and_fgfis_own_decay()
    {
        var options = DistillOptions.For("fgfi+kd")
            .With(FgfiLoss.Decay, WeightDecay.Cosine)
            .With(DistillSchedule.Decay, WeightDecay.Cosine).With(DistillSchedule.StopEpochs, 1L);
        var loss = new DistillationLoss(options, ModelConfig.FromName("yolov5s"), ModelConfig.FromName("yolov5n"),
            DistillationLoss.CreateAdapters(ModelConfig.FromName("yolov5s"), ModelConfig.FromName("yolov5n"), options));
        // KD (weight 0.2, no schedule of its own) × the run's factor.
        Assert.Equal(0.2, loss.WeightsAt(At(0))["kd"], 12);
        Assert.Equal(0.2 * 0.55, loss.WeightsAt(At(4))["kd"], 12);
        Assert.Equal(0.0, loss.WeightsAt(At(10))["kd"]);
        // FGFI: λ 0.01 × its own cosine over all 12 iterations × the run's: at 4, 0.736937 × 0.55; at 8, 0.255313 × 0.1.
        Assert.Equal(0.004053152157179669, loss.WeightsAt(At(4))["fgfi"], 12);
        Assert.Equal(0.0002553126697246218, loss.WeightsAt(At(8))["fgfi"], 12);
        Assert.Equal(0.0, loss.WeightsAt(At(9))["fgfi"]);
        Assert.Contains("schedule: every weight × cosine decay to 0.1, distillation off for the last 1 epoch (no teacher forward)", options.Describe());
    }

    [Fact]
    public void Settings_are_recorded_and_a_checkpoint_without_them_resumes_with_the_behaviour_it_had()
    {
        var options = DistillOptions.For("fgfi").With(FgfiLoss.Decay, WeightDecay.Cosine)
            .With(DistillSchedule.Decay, WeightDecay.Linear).With(DistillSchedule.Final, 0.01).With(DistillSchedule.StopEpochs, 2L);
        var meta = options.ToMetadata();
        Assert.Equal("linear", meta["distill.distill_decay"]);
        Assert.Equal("0.01", meta["distill.distill_final"]);
        Assert.Equal("2", meta["distill.distill_stop_epochs"]);
        Assert.Equal(meta, DistillOptions.FromMetadata(meta)!.ToMetadata());

        // A run written before the run-level schedule existed, with FGFI's own decay: its weights at every iteration are
        // those it had (FGFI's decay alone), and its metadata reads back as what it recorded.
        var old = DistillOptions.For("fgfi").With(FgfiLoss.Decay, WeightDecay.Cosine);
        var oldMeta = old.ToMetadata().Where(kv => !DistillSchedule.Settings.Any(s => s.MetadataKey == kv.Key)).ToDictionary();
        Assert.Equal("cosine", oldMeta["distill.imitation_decay"]);
        var resumed = DistillOptions.FromMetadata(oldMeta)!;
        Assert.Equal(WeightDecay.None, resumed.Get(DistillSchedule.Decay));
        Assert.Equal(0L, resumed.Get(DistillSchedule.StopEpochs));
        var t = ModelConfig.FromName("yolov5s");
        var n = ModelConfig.FromName("yolov5n");
        var before = new DistillationLoss(old, t, n, DistillationLoss.CreateAdapters(t, n, old));
        var after = new DistillationLoss(resumed, t, n, DistillationLoss.CreateAdapters(t, n, resumed));
        for (long it = 0; it < 12; it++) Assert.Equal(before.WeightsAt(At(it))["fgfi"], after.WeightsAt(At(it))["fgfi"]);
        Assert.Equal(0.01 * 0.1, after.WeightsAt(At(11))["fgfi"], 12);
    }

    [Fact]
    public void A_stop_that_leaves_no_epoch_to_distil_is_refused()
    {
        var s = new DistillSchedule(new LossSettings().With(DistillSchedule.StopEpochs, 3L));
        s.CheckEpochs(4);
        Assert.Contains("--distill-stop-epochs 3: must be less than --epochs 3", Assert.Throws<ArgumentException>(() => s.CheckEpochs(3)).Message);
        Assert.Contains("--distill-final 2: must lie in [0, 1]", Assert.Throws<ArgumentException>(() => DistillSchedule.Final.Parse("2")).Message);
        Assert.Contains("--distill-decay 'exp'", Assert.Throws<ArgumentException>(() => DistillSchedule.Decay.Parse("exp")).Message);
    }

    [Fact]
    public void In_the_stopped_epochs_the_teacher_does_not_run_and_the_loss_is_zero()
    {
        using var student = new YoloModel(ModelConfig.FromName("yolov5n"));
        using var teacher = new Teacher(new YoloModel(ModelConfig.FromName("yolov5s")), "yolov5s");
        var options = DistillOptions.For("fgfi+kd").With(DistillSchedule.StopEpochs, 1L);
        using var ext = new DistillationExtension(teacher, options);
        // 2 epochs of 1 batch: the second without distillation.
        ext.Setup(new TrainingContext(student, CPU, new TrainOptions { Epochs = 2 }, new Hyp(), 1));
        student.train();
        using var images = rand(1, 3, 64, 64);
        var batch = new DetectionBatch
        {
            Images = images, Targets = tensor(new float[] { 0, 1, 0.5f, 0.5f, 0.3f, 0.3f }).view(1, 6),
            Paths = ["0.jpg"], ImageIds = [0], Shapes = [new ImageShape(64, 64, 1, 1, 0, 0)],
        };
        using var s = student.forward(images);
        var first = ext.ExtraLoss(batch, images, s);
        Assert.Equal(1, ext.Iteration);
        Assert.True(first.Loss.item<float>() > 0);
        Assert.Equal(["fgfi", "kd"], first.Terms.Select(x => x.Name));
        Assert.True(ext.Stopped);
        // Images the teacher cannot run (one channel): a stopped step must not touch the teacher at all.
        using var gray = rand(1, 1, 64, 64);
        var off = ext.ExtraLoss(batch, gray, s);
        Assert.Equal(0f, off.Loss.item<float>());
        Assert.Equal(ext.Columns.Order(), off.Items.Keys.Order());
        Assert.All(off.Items.Values, v => Assert.Equal(0f, v.item<float>()));
        Assert.Empty(off.Terms);
        Assert.Empty(off.Stats);
        Assert.Equal(2, ext.Iteration);
        Assert.ThrowsAny<Exception>(() => teacher.Forward(gray));
    }

    [Fact]
    public void A_stop_with_as_many_epochs_as_the_run_is_refused_at_setup()
    {
        using var student = new YoloModel(ModelConfig.FromName("yolov5n"));
        using var teacher = new Teacher(new YoloModel(ModelConfig.FromName("yolov5s")), "yolov5s");
        using var ext = new DistillationExtension(teacher, DistillOptions.For("kd").With(DistillSchedule.StopEpochs, 2L));
        var e = Assert.Throws<ArgumentException>(() => ext.Setup(new TrainingContext(student, CPU, new TrainOptions { Epochs = 2 }, new Hyp(), 1)));
        Assert.Contains("--distill-stop-epochs 2: must be less than --epochs 2", e.Message);
    }

    [Fact]
    public void A_run_stopped_and_resumed_ends_as_the_uninterrupted_one_with_distillation_off_in_its_last_epoch()
    {
        // Random weights from a private generator, written once: both runs start from the same files.
        var (root, data, teacherPath, studentInit) = TinyDistillSetup.Create("distill-stop", dataSeed: 31, weightsSeed: 32, uniform: true);
        var options = DistillOptions.For("fgfi+kd").With(DistillSchedule.Decay, WeightDecay.Cosine).With(DistillSchedule.StopEpochs, 1L);
        TrainOptions Opt(string dir) => new()
        {
            Data = data, TrainSplit = "train", ValSplit = "val", Weights = studentInit, Epochs = 3, BatchSize = 4, ImgSize = 64,
            Workers = 1, Seed = 3, Device = "cpu", SaveDir = dir, NoPlots = true, NoVal = true, DiagnoseEvery = 1, Clip = GradClip.Student,
        };
        var dirA = Path.Combine(root, "a");
        var dirB = Path.Combine(root, "b");
        using (var teacher = Teacher.Load(teacherPath, CPU))
        using (var ext = new DistillationExtension(teacher, options))
        using (var a = new Trainer(Opt(dirA), new Hyp(), [ext]))
            a.Run();
        using (var teacher = Teacher.Load(teacherPath, CPU))
        using (var ext = new DistillationExtension(teacher, options))
        using (var cts = new CancellationTokenSource())
        using (var b = new Trainer(Opt(dirB), new Hyp(), [ext]))
        {
            b.EpochProgress = new InlineProgress<TrainEpochProgress>(_ => cts.Cancel());
            Assert.ThrowsAny<OperationCanceledException>(() => b.Run(cts.Token));
        }
        var factories = new TrainingExtensionRegistry();
        factories.Register(new DistillationExtensionFactory());
        using (var resumed = Trainer.Resume(dirB, factories: factories))
        {
            Assert.Equal(GradClip.Student, resumed.Options.Clip);
            var ext = Assert.IsType<DistillationExtension>(Assert.Single(resumed.Extensions));
            Assert.Equal(options.ToMetadata(), ext.Options.ToMetadata());
            resumed.Run();
        }

        Assert.Equal(File.ReadAllText(Path.Combine(dirA, "results.csv")), File.ReadAllText(Path.Combine(dirB, "results.csv")));
        var rows = ResultsCsv.Read(Path.Combine(dirA, "results.csv"));
        double Col(int epoch, string c) => rows[epoch].Extra.Single(e => e.Key == c).Value;
        Assert.True(Col(0, "train/imit_loss") > 0 && Col(1, "train/kd_loss") > 0);
        Assert.Equal(0, Col(2, "train/imit_loss"));
        Assert.Equal(0, Col(2, "train/kd_loss"));
        using (var ca = Checkpoint.Load(Path.Combine(dirA, "weights", "last.ckpt")))
        using (var cb = Checkpoint.Load(Path.Combine(dirB, "weights", "last.ckpt")))
        {
            Assert.Equal("cosine", ca.Metadata["distill.distill_decay"]);
            Assert.Equal("1", ca.Metadata["distill.distill_stop_epochs"]);
            foreach (var (k, v) in ca.Model!) Assert.True(v.eq(cb.Model![k]).all().item<bool>(), $"model {k} differs");
        }

        // diagnostics.csv: the distilled epochs' rows probe the terms; the last epoch's leave those columns empty.
        var lines = File.ReadAllLines(Path.Combine(dirA, "diagnostics.csv"));
        var header = lines[0].Split(',');
        int epochCol = Array.IndexOf(header, "epoch"), fgfiCol = Array.IndexOf(header, "fgfi_grad_norm"), extCol = Array.IndexOf(header, "mean_extension_norm");
        Assert.True(fgfiCol > 0 && extCol > 0);
        foreach (var cells in lines.Skip(1).Select(l => l.Split(',')))
        {
            Assert.Equal(header.Length, cells.Length);
            Assert.Equal(cells[epochCol] == "2", cells[fgfiCol] == "");
        }
    }
}
