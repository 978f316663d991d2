using System.Globalization;
using TorchSharp;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Training;
using YoloDistill.Tests;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Training;

/// <summary>
/// --clip: which parameters the gradient clip at norm 10 acts on when an extension adds its own (distillation's adapters),
/// and what diagnostics.csv records of it.
/// </summary>
/// <remarks>Alone: the runs compare their first step's gradients, so their models must start the same (torch's global generator).</remarks>
[Collection(GlobalGeneratorCollection.Name)]
public class GradClipTests
{
    public GradClipTests() => set_num_threads(1);

    /// <summary>A 1x1 conv on P3 with a large L2 loss, started from fixed weights: its gradient is far above norm 10.</summary>
    sealed class Adapter : ITrainingExtension
    {
        readonly TorchSharp.Modules.Conv2d conv = nn.Conv2d(64, 4, 1);
        public IReadOnlyList<string> Columns => ["train/adapter_loss"];
        public IEnumerable<nn.Module> TrainableModules => [conv];
        public IReadOnlyDictionary<string, string> Metadata => new Dictionary<string, string>();

        public void Setup(TrainingContext context)
        {
            using var g = new Generator(7);
            using var _ = no_grad();
            conv.weight!.copy_(rand(conv.weight.shape, generator: g) - 0.5);
            conv.bias!.zero_();
        }

        public void OnEpochStart(int epoch) { }

        public ExtensionLoss ExtraLoss(DetectionBatch batch, Tensor images, YoloOutput student)
        {
            var l = conv.call(student.Features[0]).pow(2).mean() * 100.0;
            return new ExtensionLoss(l, new Dictionary<string, Tensor> { [Columns[0]] = l.detach() }) { Terms = [("adapter", l)] };
        }

        public IReadOnlyDictionary<string, IReadOnlyDictionary<string, Tensor>> StateToSave() => new Dictionary<string, IReadOnlyDictionary<string, Tensor>>();
        public void LoadState(IReadOnlyDictionary<string, Dictionary<string, Tensor>> saved) { }
    }

    /// <summary>The diagnostics row after the first optimizer step (2 epochs of one batch, a row per batch), by column.</summary>
    static Dictionary<string, string> SecondRow(string data, GradClip clip)
    {
        var dir = Directory.CreateTempSubdirectory("clip").FullName;
        var options = new TrainOptions
        {
            Data = data, Cfg = "yolov5n", Epochs = 2, BatchSize = 4, ImgSize = 64, Workers = 1, Seed = 0, Device = "cpu", SaveDir = dir,
            NoPlots = true, NoVal = true, DiagnoseEvery = 1, Clip = clip,
        };
        using (var t = new Trainer(options, new Hyp(), [new Adapter()])) t.Run();
        var lines = File.ReadAllLines(Path.Combine(dir, "diagnostics.csv"));
        var header = lines[0].Split(',');
        return header.Zip(lines[2].Split(',')).ToDictionary(x => x.First, x => x.Second);
    }

    static double D(Dictionary<string, string> row, string key) => double.Parse(row[key], CultureInfo.InvariantCulture);

    [Fact]
    public void Student_clips_the_models_parameters_alone_and_records_the_adapters_norm_beside_it()
    {
        var data = SynthCoco.Write(images: 4);
        var all = SecondRow(data, GradClip.All);
        var student = SecondRow(data, GradClip.Student);
        var separate = SecondRow(data, GradClip.Separate);

        // All (the default, as before): one total over model and adapter, no extension columns.
        Assert.False(all.ContainsKey("mean_extension_norm"));
        Assert.Equal("1", all["clip_steps"]);
        double total = D(all, "mean_total_norm"), model = D(student, "mean_total_norm"), adapter = D(student, "mean_extension_norm");
        Assert.True(adapter > 10, $"adapter gradient norm {adapter}");
        // Same first step: the one total norm is the model's and the adapter's together.
        Assert.Equal(total, Math.Sqrt(model * model + adapter * adapter), total * 1e-4);
        Assert.True(model < total);
        // The clip factor follows the clipped set: all shrinks the model's step by 10 / total; student by the model's own norm.
        Assert.Equal(10 / total, D(all, "mean_clip_factor"), 1e-4);
        Assert.Equal(Math.Min(1, 10 / model), D(student, "mean_clip_factor"), 1e-4);
        // The adapter is left unclipped by student, clipped on its own by separate.
        Assert.Equal(0, D(student, "extension_clipped_fraction"));
        Assert.Equal(1, D(separate, "extension_clipped_fraction"));
        Assert.Equal(adapter, D(separate, "mean_extension_norm"), adapter * 1e-4);
        Assert.Equal(model, D(separate, "mean_total_norm"), model * 1e-4);
    }
}
