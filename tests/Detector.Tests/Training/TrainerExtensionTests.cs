using TorchSharp;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Training;
using YoloDistill.Tests;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Training;

public class TrainerExtensionTests
{
    public TrainerExtensionTests() => set_num_threads(1);

    /// <summary>
    /// A 1x1 conv "adapter" on P3 (64 channels in yolov5n) with an L2 loss times <paramref name="scale"/>; returns NaN
    /// from epoch <c>nanFrom</c> on. Its column, tensor group and metadata key carry <paramref name="name"/>.
    /// </summary>
    sealed class ProbeExtension(int nanFrom, string name = "imit", double scale = 0.01) : ITrainingExtension
    {
        readonly nn.Module<Tensor, Tensor> _adapter = nn.Conv2d(64, 4, 1);
        readonly string _group = name == "imit" ? "adapters" : name;
        int _epoch;
        public int Calls;
        public IReadOnlyList<string> Columns => [$"train/{name}_loss"];
        public IEnumerable<nn.Module> TrainableModules => [_adapter];
        public IReadOnlyDictionary<string, string> Metadata =>
            new Dictionary<string, string> { [name == "imit" ? "distill" : $"probe.{name}"] = "probe" };
        public void Setup(TrainingContext context) => _adapter.to(context.Device);
        public void OnEpochStart(int epoch) => _epoch = epoch;

        public ExtensionLoss ExtraLoss(DetectionBatch batch, Tensor images, YoloOutput student)
        {
            Calls++;
            var l = _adapter.call(student.Features[0]).pow(2).mean().reshape(1) * scale;
            if (_epoch >= nanFrom) l = l * double.NaN;
            return new ExtensionLoss(l, new Dictionary<string, Tensor> { [Columns[0]] = l.detach().sum() }) { Terms = [(name, l.sum())], Stats = [("epoch", _epoch)] };
        }

        public IReadOnlyDictionary<string, IReadOnlyDictionary<string, Tensor>> StateToSave() =>
            new Dictionary<string, IReadOnlyDictionary<string, Tensor>> { [_group] = _adapter.state_dict() };

        public void LoadState(IReadOnlyDictionary<string, Dictionary<string, Tensor>> saved)
        {
            using var ng = no_grad();
            foreach (var (k, v) in _adapter.state_dict()) v.copy_(saved[_group][k]);
        }
    }

    static TrainOptions Options(string data, string dir, int epochs) => new()
    {
        Data = data, Cfg = "yolov5n", Epochs = epochs, BatchSize = 4, ImgSize = 64, Workers = 2, Seed = 0, Device = "cpu", SaveDir = dir, NoPlots = true,
    };

    [Fact]
    public void Extension_adds_a_column_and_checkpoint_group_and_a_nan_loss_stops_keeping_the_last_checkpoint()
    {
        var data = SynthCoco.Write(images: 4);
        var dir = Directory.CreateTempSubdirectory("ext").FullName;
        var ext = new ProbeExtension(nanFrom: 1);
        using var t = new Trainer(Options(data, dir, 3), new Hyp(), [ext]);
        // yolov5n alone: Ultralytics prints "57 weight(decay=0.0), 60 weight(decay=0.0005), 60 bias"; the adapter adds one of each.
        Assert.Contains(t.Notes, n => n.EndsWith("groups 57 weight(decay=0.0), 61 weight(decay=0.0005), 61 bias", StringComparison.Ordinal));
        var e = Assert.Throws<TrainingDivergedException>(() => t.Run());
        Assert.Contains("loss became NaN at epoch 1, batch 0", e.Message);
        Assert.Contains("last.ckpt", e.Message);
        Assert.Equal(2, ext.Calls);
        var rows = ResultsCsv.Read(Path.Combine(dir, "results.csv"));
        Assert.Equal("train/imit_loss", rows.Single().Extra.Single().Key);
        Assert.True(rows[0].Extra[0].Value > 0);
        using var c = Checkpoint.Load(Path.Combine(dir, "weights", "last.ckpt"));
        Assert.Equal(0, c.Epoch);
        Assert.Equal(new long[] { 4, 64, 1, 1 }, c.Extras["adapters"]["weight"].shape);
        Assert.Equal("probe", c.Metadata["distill"]);

        // Resume rebuilds the extension through a factory that recognises its metadata, and restores its tensors.
        var factories = new TrainingExtensionRegistry();
        factories.Register(new ProbeFactory());
        using (var r = Trainer.Resume(dir, factories: factories))
        {
            var probe = Assert.IsType<ProbeExtension>(Assert.Single(r.Extensions));
            Assert.True(probe.StateToSave()["adapters"]["weight"].eq(c.Extras["adapters"]["weight"]).all().item<bool>());
            Assert.Equal(1, r.StartEpoch);
        }
        // Without it, the run would silently lose the extension: refused, naming the state nothing claimed.
        var e2 = Assert.Throws<InvalidDataException>(() => Trainer.Resume(dir, factories: new TrainingExtensionRegistry()));
        Assert.Contains("holds the state of training extensions (adapters) that this resume did not rebuild", e2.Message);
    }

    sealed class ProbeFactory : ITrainingExtensionFactory
    {
        public string Name => "probe";
        public IReadOnlyList<ITrainingExtension> Rebuild(ResumeContext context) =>
            context.Metadata.GetValueOrDefault("distill") == "probe" ? [new ProbeExtension(nanFrom: int.MaxValue)] : [];
    }

    [Fact]
    public void Several_extensions_each_fill_their_named_columns_and_save_their_own_state()
    {
        var data = SynthCoco.Write(images: 4);
        var dir = Directory.CreateTempSubdirectory("exts").FullName;
        var small = new ProbeExtension(int.MaxValue, "small", 0.001);
        var large = new ProbeExtension(int.MaxValue, "large", 1.0);
        using (var t = new Trainer(Options(data, dir, 1), new Hyp(), [small, large]))
        {
            Assert.Equal([small, large], t.Extensions);
            // Each adapter adds a weight and a bias to the groups, as one extension's did.
            Assert.Contains(t.Notes, n => n.EndsWith("groups 57 weight(decay=0.0), 62 weight(decay=0.0005), 62 bias", StringComparison.Ordinal));
            var steps = new List<TrainStepProgress>();
            t.StepProgress = new InlineProgress<TrainStepProgress>(steps.Add);
            t.Run();
            Assert.Equal(["train/small_loss", "train/large_loss"], steps[^1].Extra.Select(e => e.Key));
        }
        var row = ResultsCsv.Read(Path.Combine(dir, "results.csv")).Single();
        Assert.Equal(["train/small_loss", "train/large_loss"], row.Extra.Select(e => e.Key));
        double Col(string c) => row.Extra.Single(e => e.Key == c).Value;
        // Same features, scales 0.001 and 1: the columns hold each extension's own number, not each other's.
        Assert.True(Col("train/small_loss") > 0 && Col("train/large_loss") > 50 * Col("train/small_loss"), $"{Col("train/small_loss")} {Col("train/large_loss")}");
        using var c = Checkpoint.Load(Path.Combine(dir, "weights", "last.ckpt"));
        Assert.Equal(["large", "small"], c.Extras.Keys.Order());
        Assert.Equal("probe", c.Metadata["probe.small"]);
        Assert.Equal("probe", c.Metadata["probe.large"]);

        var e = Assert.Throws<ArgumentException>(() => new Trainer(Options(data, Directory.CreateTempSubdirectory("clash").FullName, 1), new Hyp(),
            [new ProbeExtension(int.MaxValue, "same"), new ProbeExtension(int.MaxValue, "same")]));
        Assert.Contains("'train/same_loss' is named twice", e.Message);
    }

    [Fact]
    public void Pretrained_weights_with_another_nc_keep_backbone_and_neck_and_freeze_layers()
    {
        var weights = RefData.Require("weights/yolov5n.safetensors");
        var data = SynthCoco.Write(images: 4);
        var dir = Directory.CreateTempSubdirectory("ft").FullName;
        using var t = new Trainer(Options(data, dir, 1) with { Weights = weights, Freeze = [10] }, new Hyp());
        Assert.Contains(t.Notes, n => n.Contains("transferred", StringComparison.Ordinal));
        Assert.Contains(t.Notes, n => n.StartsWith("freezing", StringComparison.Ordinal));
        using var w = YoloDistill.Detector.Weights.SafeTensors.Load(weights);
        var sd = t.Model.state_dict();
        // yolov5n's weights are fp16 values, so train.py's half().float() rounding leaves them unchanged.
        Assert.True(sd["model.0.conv.weight"].eq(w["model.0.conv.weight"]).all().item<bool>());
        Assert.True(sd["model.23.cv3.conv.weight"].eq(w["model.23.cv3.conv.weight"]).all().item<bool>());
        Assert.Equal(new long[] { 21, 64, 1, 1 }, sd["model.24.m.0.weight"].shape); // 3 anchors x (5 + 2 classes), fresh
        var p = t.Model.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        Assert.False(p["model.9.cv2.conv.weight"].requires_grad);
        Assert.True(p["model.10.conv.weight"].requires_grad);
    }
}
