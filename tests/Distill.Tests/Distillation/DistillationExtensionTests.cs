using TorchSharp;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Evaluation;
using YoloDistill.Detector.Loss;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Training;
using YoloDistill.Detector.Weights;
using YoloDistill.Distill.Distillation;
using YoloDistill.Tests;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Tests.Distillation;

public class DistillationExtensionTests
{
    static DetectionBatch Batch(int n, int img) => new()
    {
        Images = rand(n, 3, img, img),
        Targets = tensor(new float[] { 0, 1, 0.3f, 0.4f, 0.25f, 0.3f, 1, 2, 0.6f, 0.6f, 0.3f, 0.2f }).view(2, 6),
        Paths = Enumerable.Range(0, n).Select(i => $"{i}.jpg").ToArray(),
        ImageIds = Enumerable.Range(0, n).Select(i => (long)i).ToArray(),
        Shapes = Enumerable.Range(0, n).Select(_ => new ImageShape(img, img, 1, 1, 0, 0)).ToArray(),
    };

    static DistillationExtension SetUp(YoloModel student, DistillOptions options, string teacherScale = "yolov5s")
    {
        var teacher = new Teacher(new YoloModel(ModelConfig.FromName(teacherScale)), teacherScale);
        var ext = new DistillationExtension(teacher, options);
        ext.Setup(new TrainingContext(student, CPU, new TrainOptions(), new Hyp(), 0));
        return ext;
    }

    [Fact]
    public void Extra_loss_is_the_batch_scaled_sum_with_one_item_per_column()
    {
        torch.manual_seed(3);
        using var student = new YoloModel(ModelConfig.FromName("yolov5n"));
        var options = DistillOptions.For("fgfi+kd+kdbox").With(KdLoss.Weight, 2.0).With(KdBoxLoss.Threshold, 0.0);
        using var ext = SetUp(student, options, "yolov5n");
        Assert.Equal(["train/imit_loss", "train/cwd_loss", "train/kd_loss", "train/kdbox_loss"], ext.Columns);
        Assert.Same(ext.Adapters, Assert.Single(ext.TrainableModules));
        student.train();
        using var b = Batch(2, 64);
        using var s = student.forward(b.Images);
        var (loss, items) = ext.ExtraLoss(b, b.Images, s) is var r ? (r.Loss, r.Items) : default;
        // The named weighted terms sum to the loss; FGFI reports each level's share.
        Assert.Equal(["fgfi", "kd", "kdbox"], r.Terms.Select(x => x.Name));
        Assert.Equal(loss.item<float>(), r.Terms.Sum(x => x.Loss.item<float>()), 4);
        Assert.Equal(1.0, r.Stats.Where(x => x.Name.StartsWith("fgfi_p")).Sum(x => x.Value), 5);
        Assert.Equal(ext.Columns.Order(), items.Keys.Order());
        // Columns are the weighted per-image terms (CWD not selected: 0); the loss is their sum times the batch size
        // (as Ultralytics' loss is the per-image mean times the batch).
        float imit = items["train/imit_loss"].item<float>(), cwd = items["train/cwd_loss"].item<float>(), kd = items["train/kd_loss"].item<float>();
        float kdbox = items["train/kdbox_loss"].item<float>();
        Assert.Equal(0f, cwd);
        Assert.True(imit > 0 && kd > 0 && kdbox > 0);
        Assert.Equal(1.0, r.Stats.Where(x => x.Name.StartsWith("kdbox_p")).Sum(x => x.Value), 5);
        Assert.Equal(2 * (imit + kd + kdbox), loss.item<float>(), 4);
        Assert.True(loss.requires_grad);
        Assert.Equal(1, ext.Iteration);
        loss.backward();
        Assert.All(ext.Adapters!.parameters(), p => Assert.NotNull(p.grad));
        Assert.All(ext.Teacher.Model.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void Kd_with_other_classes_fails_at_setup()
    {
        using var student = new YoloModel(ModelConfig.FromName("yolov5n", 8));
        var teacher = new Teacher(new YoloModel(ModelConfig.FromName("yolov5n", 80)), "coco.pt");
        using var ext = new DistillationExtension(teacher, DistillOptions.For("kd"));
        var e = Assert.Throws<ArgumentException>(() => ext.Setup(new TrainingContext(student, CPU, new TrainOptions(), new Hyp(), 0)));
        Assert.Contains("nc=8", e.Message);
        teacher.Dispose();
    }

    [Fact]
    public void Adapters_and_iteration_survive_a_checkpoint_round_trip()
    {
        torch.manual_seed(4);
        using var student = new YoloModel(ModelConfig.FromName("yolov5n"));
        var options = new DistillOptions().With(Adapters.Kernel, AdapterKind.Conv3x3).With(FgfiLoss.Warmup, 100L);
        using var a = SetUp(student, options);
        student.train();
        using var b = Batch(2, 64);
        for (int i = 0; i < 3; i++)
        {
            using var s = student.forward(b.Images);
            a.ExtraLoss(b, b.Images, s);
        }
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "last.ckpt");
        using (var c = new CheckpointData
        {
            Config = student.Config,
            Ema = CheckpointData.Snapshot(student),
            Extras = a.StateToSave().ToDictionary(g => g.Key, g => g.Value.ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().clone())),
            Metadata = a.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value),
        })
            Checkpoint.Save(path, c);

        using var loaded = Checkpoint.Load(path);
        var restored = DistillationExtension.FromMetadata(loaded.Metadata);
        Assert.NotNull(restored);
        Assert.Equal(options.ToMetadata(), restored.Value.Options.ToMetadata());
        Assert.Equal("yolov5s", restored.Value.Teacher);
        torch.manual_seed(99);
        using var b2 = SetUp(student, restored.Value.Options);
        b2.LoadState(loaded.Extras);
        Assert.Equal(3, b2.Iteration);
        foreach (var (k, v) in a.Adapters!.state_dict())
            Assert.True(v.eq(b2.Adapters!.state_dict()[k]).all().item<bool>(), k);
        // A 1x1 run cannot take 3x3 adapters.
        using var other = SetUp(student, options.With(Adapters.Kernel, AdapterKind.Conv1x1));
        Assert.Throws<InvalidDataException>(() => other.LoadState(loaded.Extras));
    }

    sealed class NoValidation : IEpochValidator
    {
        public ValidationResult Validate(YoloModel model, ComputeLoss computeLoss, CancellationToken ct = default) => ValidationResults.Of(0.5, 0.5, 0.1, 0.05, 0, 0, 0);
        public void Dispose() { }
    }

    [Fact]
    public void Trainer_optimises_the_adapters_and_checkpoints_them_but_weights_export_only_the_student()
    {
        var root = Directory.CreateTempSubdirectory().FullName;
        SynthDataset.Generate(Path.Combine(root, "data"), 5, new SynthOptions { Train = 4, Val = 1, ImgSize = 64 });
        torch.manual_seed(5);
        var teacher = new Teacher(new YoloModel(ModelConfig.FromName("yolov5n", 8)), "yolov5n-random");
        var teacherBefore = teacher.Model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using var ext = new DistillationExtension(teacher, DistillOptions.For("fgfi+cwd+kd+kdbox"));
        var o = new TrainOptions
        {
            Data = Path.Combine(root, "data"), TrainSplit = "train", ValSplit = "val", Cfg = "yolov5n", Epochs = 1, BatchSize = 4,
            ImgSize = 64, Workers = 1, NoPlots = true, Device = "cpu", SaveDir = Path.Combine(root, "run"),
        };
        Dictionary<string, Tensor> adaptersBefore;
        using (var trainer = new Trainer(o, new Hyp(), [ext], new NoValidation()))
        {
            adaptersBefore = ext.Adapters!.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
            trainer.Run();
        }
        Assert.Contains(ext.Adapters!.state_dict(), kv => !kv.Value.eq(adaptersBefore[kv.Key]).all().item<bool>());
        foreach (var (k, v) in teacher.Model.state_dict())
            Assert.True(v.eq(teacherBefore[k]).all().item<bool>(), $"teacher {k} changed");

        var header = File.ReadLines(o.ResultsCsvPath).First();
        Assert.Contains("train/imit_loss", header);
        Assert.Contains("train/cwd_loss", header);
        Assert.Contains("train/kd_loss", header);
        Assert.Contains("train/kdbox_loss", header);

        using (var c = Checkpoint.Load(o.LastPath))
        {
            Assert.Equal(ext.Adapters.state_dict().Keys.Order(), c.Extras[DistillationExtension.AdaptersGroup].Keys.Order());
            Assert.Equal("fgfi+cwd+kd+kdbox", c.Metadata["distill.method"]);
            Assert.Equal("bn", c.Metadata["distill.cwd_norm"]);
        }
        // The built-in registry reads checkpoints, as val, detect and export do.
        using var w = WeightsFile.Load(o.LastPath);
        Assert.DoesNotContain(w.StateDict.Keys, k => k.Contains("adapter"));
        Assert.All(w.StateDict.Keys, k => Assert.StartsWith("model.", k));
        teacher.Dispose();
    }
}
