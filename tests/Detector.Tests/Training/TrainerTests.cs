using YoloDistill.Detector.Common;
using YoloDistill.Detector.Evaluation;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Training;
using YoloDistill.Detector.Weights;
using YoloDistill.Tests;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Training;

public class TrainerTests
{
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
        t.StepProgress = new InlineProgress<TrainStepProgress>(steps.Add);
        var summary = t.Run();
        Assert.Equal(6, summary.EpochsCompleted);
        Assert.Equal(12, steps.Count); // 8 images / batch 4 = 2 batches x 6 epochs
        var rows = ResultsCsv.Read(Path.Combine(dir, "results.csv"));
        Assert.Equal([0, 1, 2, 3, 4, 5], rows.Select(r => r.Epoch));
        double Train(EpochResult r) => r.TrainBox + r.TrainObj + r.TrainCls;
        double Val(EpochResult r) => r.ValBox + r.ValObj + r.ValCls;
        Assert.True(Train(rows[^1]) < Train(rows[0]), $"train loss did not fall: {string.Join(" ", rows.Select(Train))}");
        Assert.True(Val(rows[^1]) < Val(rows[0]), $"val loss did not fall: {string.Join(" ", rows.Select(Val))}");
        Assert.All(rows, r => Assert.InRange(r.Precision, 0, 1));
        Assert.All(rows, r => Assert.InRange(r.Recall, 0, 1));
        Assert.All(rows, r => Assert.InRange(r.Map50, r.Map5095, 1));
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
        // Both runs start from one weights file: the seeded initialisation draws from torch's global generator, which
        // tests running in parallel also use.
        var init = Path.Combine(dirA, "init.safetensors");
        var cfg = ModelConfig.FromName("yolov5n", 2, ["red", "blue"]);
        using (var m = new YoloModel(cfg)) WeightsFile.SaveSafeTensors(init, m.state_dict(), cfg);
        TrainOptions Opt(string dir) => Options(data, dir, 2) with { Weights = init };
        using (var a = new Trainer(Opt(dirA), new Hyp())) a.Run();

        using (var cts = new CancellationTokenSource())
        using (var b = new Trainer(Opt(dirB), new Hyp()))
        {
            b.EpochProgress = new InlineProgress<TrainEpochProgress>(_ => cts.Cancel());
            Assert.ThrowsAny<OperationCanceledException>(() => b.Run(cts.Token));
        }
        using (var c = Checkpoint.Load(Path.Combine(dirB, "weights", "last.ckpt"))) Assert.Equal(0, c.Epoch);
        using (var reads = new CheckpointReads())
        using (var r = Trainer.Resume(dirB))
        {
            Assert.Equal(1, r.StartEpoch);
            Assert.Equal(1, reads.Of(Path.Combine(dirB, "weights", "last.ckpt"))); // read and verified once for options, model and state
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

    sealed class ScriptedValidation(params double[] map5095) : IEpochValidator
    {
        int _calls;
        public ValidationResult Validate(YoloModel model, YoloDistill.Detector.Loss.ComputeLoss computeLoss, CancellationToken ct = default)
        {
            double m = map5095[Math.Min(_calls++, map5095.Length - 1)];
            return ValidationResults.Of(m, m, m, m, 0.1, 0.1, 0.1);
        }
        public void Dispose() { }
    }

    [Fact]
    public void Epochs_that_val_every_skips_write_no_stale_metrics_and_never_become_best()
    {
        var data = SynthCoco.Write(images: 4);
        var dir = Directory.CreateTempSubdirectory("valevery").FullName;
        // Validated: epochs 1 (0.9) and 3, the final one (0.1). Epoch 2 used to repeat epoch 1's 0.9 and overwrite best.ckpt.
        using (var t = new Trainer(Options(data, dir, 4) with { ValEvery = 2 }, Plain, null, new ScriptedValidation(0.9, 0.1)))
        {
            var s = t.Run();
            Assert.Equal(1, s.BestEpoch);
        }
        var rows = ResultsCsv.Read(Path.Combine(dir, "results.csv"));
        Assert.Equal([0, 1, 2, 3], rows.Select(r => r.Epoch));
        Assert.True(double.IsNaN(rows[0].Map5095) && double.IsNaN(rows[2].Map5095) && double.IsNaN(rows[2].Precision) && double.IsNaN(rows[2].ValBox));
        Assert.Equal(0.9, rows[1].Map5095, 6);
        Assert.Equal(0.1, rows[3].Map5095, 6);
        Assert.True(rows.All(r => r.TrainBox > 0)); // training losses are still written every epoch
        using var best = Checkpoint.Load(Path.Combine(dir, "weights", "best.ckpt"));
        Assert.Equal(1, best.Epoch);
    }

    [Fact]
    public void Multi_scale_sizes_depend_only_on_seed_and_batch_so_they_repeat_in_any_process()
    {
        // Fixed numbers: before, the size came from HashCode.Combine, which .NET seeds differently in every process.
        int[] expected = [416, 672, 864, 800, 544, 864, 576, 704];
        var got = Enumerable.Range(0, 8).Select(ni => Trainer.MultiScaleSize(seed: 0, ni, 640)).ToArray();
        Assert.Equal(string.Join(",", expected), string.Join(",", got));
        Assert.All(Enumerable.Range(0, 200).Select(ni => Trainer.MultiScaleSize(3, ni, 320)), v => { Assert.InRange(v, 160, 480); Assert.Equal(0, v % 32); });
        Assert.NotEqual(got, Enumerable.Range(0, 8).Select(ni => Trainer.MultiScaleSize(seed: 1, ni, 640)).ToArray());
    }
}
