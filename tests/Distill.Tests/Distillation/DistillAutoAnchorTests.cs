using TorchSharp;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Training;
using YoloDistill.Distill.Distillation;
using YoloDistill.Tests;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Tests.Distillation;

/// <summary>
/// AutoAnchor in distillation: feature losses let it evolve the student's anchors (and FGFI's masks use them); KD,
/// which compares teacher and student anchor by anchor, keeps them.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public class DistillAutoAnchorTests
{
    public DistillAutoAnchorTests() => set_num_threads(1);

    /// <summary>The built-in shapes at a 64 training size: default anchors reach about 3/4 of the boxes (BPR ~0.74).</summary>
    static TrainOptions Setup(out Teacher teacher)
    {
        var root = Directory.CreateTempSubdirectory("distill-autoanchor").FullName;
        SynthDataset.Generate(Path.Combine(root, "data"), 5, new SynthOptions { Train = 8, Val = 1, ImgSize = 320 });
        torch.manual_seed(5);
        teacher = new Teacher(new YoloModel(ModelConfig.FromName("yolov5n", 8)), "yolov5n-random");
        return new TrainOptions
        {
            Data = Path.Combine(root, "data"), TrainSplit = "train", ValSplit = "val", Cfg = "yolov5n", Epochs = 1, BatchSize = 4,
            ImgSize = 64, Workers = 1, NoPlots = true, Device = "cpu", SaveDir = Path.Combine(root, "run"),
        };
    }

    static float[] Flat(float[][] a) => a.SelectMany(r => r).ToArray();

    [Fact]
    public void Fgfi_student_gets_evolved_anchors_and_its_masks_use_them()
    {
        var o = Setup(out var teacher);
        using (teacher)
        using (var ext = new DistillationExtension(teacher, DistillOptions.For("fgfi")))
        using (var trainer = new Trainer(o, new Hyp(), [ext]))
        {
            var report = trainer.AnchorReport!;
            Assert.True(report.Before.Bpr < 0.98, $"BPR {report.Before.Bpr}");
            Assert.True(report.Replaced, string.Join(" | ", report.Describe()));
            Assert.NotEqual(Flat(ModelConfig.DefaultAnchors), Flat(trainer.Config.AnchorsPx));
            Assert.Equal(Flat(trainer.Config.AnchorsPx), Flat(ext.Loss!.StudentConfig.AnchorsPx));
            Assert.Equal(Flat(ModelConfig.DefaultAnchors), Flat(teacher.Config.AnchorsPx));
        }
    }

    [Theory]
    [InlineData("fgfi+kd", "(kd)")]
    [InlineData("kdbox", "(kdbox)")]
    public void Output_losses_keep_the_students_anchors_and_say_why(string method, string named)
    {
        var o = Setup(out var teacher);
        using (teacher)
        using (var ext = new DistillationExtension(teacher, DistillOptions.For(method)))
        using (var trainer = new Trainer(o, new Hyp(), [ext]))
        {
            var report = trainer.AnchorReport!;
            Assert.True(report.Before.Bpr < 0.98, $"BPR {report.Before.Bpr}");
            Assert.False(report.Replaced);
            Assert.Null(report.Evolved);
            Assert.Contains(named, report.SkippedBecause);
            Assert.Contains(trainer.Notes, n => n.Contains("not improved") && n.Contains("anchor by anchor"));
            Assert.Equal(Flat(ModelConfig.DefaultAnchors), Flat(trainer.Config.AnchorsPx));
            Assert.Equal(Flat(ModelConfig.DefaultAnchors), Flat(ext.Loss!.StudentConfig.AnchorsPx));
        }
    }
}
