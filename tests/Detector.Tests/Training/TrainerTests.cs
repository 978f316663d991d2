using YoloDistill.Detector.Training;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Training;

public class TrainerTests
{
    sealed class Sync<T>(Action<T> a) : IProgress<T>
    {
        public void Report(T value) => a(value);
    }

    // Without augmentation the epochs see the same images, so the loss trend is not drowned by mosaic noise.
    static readonly Hyp Plain = new() { Mosaic = 0, HsvH = 0, HsvS = 0, HsvV = 0, Translate = 0, Scale = 0, FlipLr = 0 };

    public TrainerTests() => set_num_threads(1); // 2 shared cores: one intra-op thread avoids OpenMP spinning under load

    static TrainOptions Options(string data, string dir, int epochs) => new()
    {
        Data = data, Cfg = "yolov5n", Epochs = epochs, BatchSize = 4, ImgSize = 64, Workers = 2, Seed = 3,
        Device = "cpu", SaveDir = dir, NoPlots = true,
    };

    [Fact]
    public void Tiny_run_lowers_the_loss_and_writes_checkpoints_and_results()
    {
        var data = SynthCoco.Write();
        var dir = Directory.CreateTempSubdirectory("run").FullName;
        using var t = new Trainer(Options(data, dir, 6) with { NoPlots = false }, Plain);
        var steps = new List<TrainStepProgress>();
        t.StepProgress = new Sync<TrainStepProgress>(steps.Add);
        var summary = t.Run();
        Assert.Equal(6, summary.EpochsCompleted);
        Assert.Equal(12, steps.Count); // 8 images / batch 4 = 2 batches x 6 epochs
        var rows = ResultsCsv.Read(Path.Combine(dir, "results.csv"));
        Assert.Equal([0, 1, 2, 3, 4, 5], rows.Select(r => r.Epoch));
        double Train(EpochResult r) => r.TrainBox + r.TrainObj + r.TrainCls;
        double Val(EpochResult r) => r.ValBox + r.ValObj + r.ValCls;
        Assert.True(Train(rows[^1]) < Train(rows[0]), $"train loss did not fall: {string.Join(" ", rows.Select(Train))}");
        Assert.True(Val(rows[^1]) < Val(rows[0]), $"val loss did not fall: {string.Join(" ", rows.Select(Val))}");
        // Warmup: the bias group starts near warmup_bias_lr, the others near 0.
        Assert.True(rows[0].Lr0 > 0.09 && rows[0].Lr1 < 0.001, $"lr0 {rows[0].Lr0}, lr1 {rows[0].Lr1}");
        Assert.True(Checkpoint.IsCheckpoint(Path.Combine(dir, "weights", "last.ckpt")));
        Assert.True(Checkpoint.IsCheckpoint(Path.Combine(dir, "weights", "best.ckpt")));
        using var c = Checkpoint.Load(Path.Combine(dir, "weights", "last.ckpt"));
        Assert.Equal(5, c.Epoch);
        Assert.Equal(["red", "blue"], c.Config.Names);
        Assert.True(c.EmaUpdates > 0);
        Assert.True(File.Exists(Path.Combine(dir, "results.png")));
        Assert.True(File.Exists(Path.Combine(dir, "labels.png")));
        Assert.True(File.Exists(Path.Combine(dir, "hyp.yaml")));
    }

    [Fact]
    public void Resumed_run_equals_the_uninterrupted_run()
    {
        var data = SynthCoco.Write(seed: 1);
        var dirA = Directory.CreateTempSubdirectory("runA").FullName;
        var dirB = Directory.CreateTempSubdirectory("runB").FullName;
        using (var a = new Trainer(Options(data, dirA, 2), new Hyp())) a.Run();

        using (var cts = new CancellationTokenSource())
        using (var b = new Trainer(Options(data, dirB, 2), new Hyp()))
        {
            b.EpochProgress = new Sync<TrainEpochProgress>(_ => cts.Cancel());
            Assert.ThrowsAny<OperationCanceledException>(() => b.Run(cts.Token));
        }
        using (var c = Checkpoint.Load(Path.Combine(dirB, "weights", "last.ckpt"))) Assert.Equal(0, c.Epoch);
        using (var r = Trainer.Resume(dirB))
        {
            Assert.Equal(1, r.StartEpoch);
            r.Run();
        }
        using var ca = Checkpoint.Load(Path.Combine(dirA, "weights", "last.ckpt"));
        using var cb = Checkpoint.Load(Path.Combine(dirB, "weights", "last.ckpt"));
        Assert.Equal(1, cb.Epoch);
        Assert.Equal(ca.EmaUpdates, cb.EmaUpdates);
        foreach (var (k, v) in ca.Model!)
            Assert.True(v.eq(cb.Model![k]).all().item<bool>(), $"model {k} differs");
        foreach (var (k, v) in ca.Ema)
            Assert.True(v.eq(cb.Ema[k]).all().item<bool>(), $"ema {k} differs");
        Assert.Equal(2, ResultsCsv.Read(Path.Combine(dirB, "results.csv")).Count);
    }
}
