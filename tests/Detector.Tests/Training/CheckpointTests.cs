using TorchSharp;
using TorchSharp.Modules;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Training;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Training;

public class CheckpointTests
{
    static string TempPath(string name) => Path.Combine(Directory.CreateTempSubdirectory("ckpt").FullName, name);

    static (nn.Module<Tensor, Tensor> Net, OptimizerHelper Opt) Build(OptimizerKind kind, long seed = 1)
    {
        var net = TinyNet.Create(seed);
        var opt = OptimizerFactory.Create(kind, OptimizerFactory.Classify(net), 0.01, 0.937, 0.0005);
        return (net, opt);
    }

    static void Step(nn.Module<Tensor, Tensor> net, OptimizerHelper opt, int i)
    {
        opt.zero_grad();
        TinyNet.Backward(net, i);
        opt.step();
    }

    static CheckpointData Make(nn.Module<Tensor, Tensor> net, OptimizerHelper opt) => new()
    {
        Config = ModelConfig.FromName("yolov5n", 2, ["cat", "dog"]),
        Ema = CheckpointData.Snapshot(net),
        Model = CheckpointData.Snapshot(net),
        Optimizer = OptimizerSnapshot.Capture(opt),
        Epoch = 4,
        BestFitness = 0.125,
        BestEpoch = 3,
        EmaUpdates = 77,
        LastOptStep = 39,
        Seed = 5,
        Hyp = new Hyp { Lr0 = 0.02, Mosaic = 0.5 },
        Options = new TrainOptions { Epochs = 7, BatchSize = 8, Optimizer = OptimizerKind.AdamW, Freeze = [10] },
        Extras = { ["adapters"] = new() { ["a.weight"] = arange(6, dtype: ScalarType.Float32).reshape(2, 3) } },
        Metadata = { ["distill"] = "fgfi" },
    };

    [Theory]
    [InlineData(OptimizerKind.SGD)]
    [InlineData(OptimizerKind.AdamW)]
    public void Round_trip_restores_state_so_the_next_steps_are_identical(OptimizerKind kind)
    {
        var path = TempPath("last.ckpt");
        var (a, optA) = Build(kind);
        Step(a, optA, 0);
        Step(a, optA, 1);
        using (var c = Make(a, optA)) Checkpoint.Save(path, c);
        Assert.True(Checkpoint.IsCheckpoint(path));

        var (b, optB) = Build(kind, seed: 9);
        using (var c = Checkpoint.Load(path))
        {
            Assert.Equal(4, c.Epoch);
            Assert.Equal(0.125, c.BestFitness);
            Assert.Equal(3, c.BestEpoch);
            Assert.Equal(77, c.EmaUpdates);
            Assert.Equal(39, c.LastOptStep);
            Assert.Equal(5, c.Seed);
            Assert.Equal(new Hyp { Lr0 = 0.02, Mosaic = 0.5 }, c.Hyp);
            Assert.Equal(7, c.Options!.Epochs);
            Assert.Equal(OptimizerKind.AdamW, c.Options.Optimizer);
            Assert.Equal([10], c.Options.Freeze);
            Assert.Equal("n", c.Config.Scale);
            Assert.Equal(["cat", "dog"], c.Config.Names);
            Assert.Equal(ModelConfig.DefaultAnchors[2], c.Config.AnchorsPx[2]);
            Assert.Equal([8, 16, 32], c.Config.Strides);
            Assert.Equal(5f, c.Extras["adapters"]["a.weight"][1, 2].item<float>());
            Assert.Equal("fgfi", c.Metadata["distill"]);
            Assert.Equal(ScalarType.Int64, c.Ema["1.num_batches_tracked"].dtype);
            Assert.Equal(2L, c.Model!["1.num_batches_tracked"].item<long>());
            using (no_grad())
                foreach (var (k, v) in b.state_dict()) v.copy_(c.Model[k]);
            c.Optimizer!.Restore(optB);
        }
        Step(a, optA, 2);
        Step(b, optB, 2);
        var sa = a.state_dict();
        foreach (var (k, v) in b.state_dict())
            Assert.True(v.eq(sa[k]).all().item<bool>(), $"{k} differs after resume");
        for (int j = 0; j < 3; j++)
            Assert.Equal(optA.ParamGroups.ElementAt(j).LearningRate, optB.ParamGroups.ElementAt(j).LearningRate);
    }

    [Fact]
    public void Restoring_into_another_optimizer_type_is_refused()
    {
        var path = TempPath("x.ckpt");
        var (a, optA) = Build(OptimizerKind.SGD);
        Step(a, optA, 0);
        using (var c = Make(a, optA)) Checkpoint.Save(path, c);
        var (_, optB) = Build(OptimizerKind.AdamW);
        using var loaded = Checkpoint.Load(path);
        var e = Assert.Throws<InvalidDataException>(() => loaded.Optimizer!.Restore(optB));
        Assert.Contains("SGD", e.Message);
    }

    static string SavedCheckpoint()
    {
        var path = TempPath("best.ckpt");
        var (a, optA) = Build(OptimizerKind.SGD);
        Step(a, optA, 0);
        using var c = Make(a, optA);
        Checkpoint.Save(path, c);
        return path;
    }

    [Fact]
    public void Flipped_byte_is_a_checksum_mismatch()
    {
        var path = SavedCheckpoint();
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));
        Assert.Equal($"{path}: damaged checkpoint (checksum mismatch).", e.Message);
    }

    [Fact]
    public void Truncated_file_is_refused()
    {
        var path = SavedCheckpoint();
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));
        Assert.Equal($"{path}: damaged checkpoint (checksum mismatch).", e.Message);
        File.WriteAllBytes(path, bytes[..16]);
        e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));
        Assert.Contains("damaged checkpoint (truncated", e.Message);
    }

    [Fact]
    public void Other_format_version_is_refused_clearly()
    {
        var path = SavedCheckpoint();
        var bytes = File.ReadAllBytes(path);
        bytes[8] = 2;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));
        Assert.Equal($"{path}: checkpoint format version 2 is not supported (this build reads version 1).", e.Message);
    }

    [Fact]
    public void Other_files_are_not_checkpoints()
    {
        var path = TempPath("w.safetensors");
        File.WriteAllBytes(path, new byte[100]);
        Assert.False(Checkpoint.IsCheckpoint(path));
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));
        Assert.Contains("not a yolo-distill checkpoint", e.Message);
        Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(path + ".missing"));
    }

    [Fact]
    public void Save_replaces_the_old_file_and_leaves_no_temporary_files()
    {
        var path = SavedCheckpoint();
        var (a, optA) = Build(OptimizerKind.SGD);
        using (var c = Make(a, optA)) Checkpoint.Save(path, c);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
        using var loaded = Checkpoint.Load(path);
        Assert.Equal(0L, loaded.Model!["1.num_batches_tracked"].item<long>());
    }
}
