using System.Text.Json;
using TorchSharp;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Weights;
using YoloDistill.Distill.Cli;
using YoloDistill.Distill.Distillation;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Tests.Distillation;

[Collection(ConsoleCollection.Name)]
public class DistillCliTests
{
    static int Run(params string[] args) => CliHarness.Run(args);

    [Fact]
    public void Masks_writes_one_picture_per_image_and_the_training_masks_per_level()
    {
        var root = Directory.CreateTempSubdirectory().FullName;
        var data = Path.Combine(root, "data");
        SynthDataset.Generate(data, 11, new SynthOptions { Train = 1, Val = 3, ImgSize = 96 });
        var outDir = Path.Combine(root, "masks");
        Assert.Equal(0, Run("masks", "--data", data, "--split", "val", "--img", "64", "--out", outDir));
        Assert.Equal(3, Directory.GetFiles(outDir, "*.png").Length);

        var ds = CocoDataset.Load(data, "val");
        using var file = SafeTensors.Load(Path.Combine(outDir, "masks.safetensors"));
        Assert.Equal(9, file.Tensors.Count);
        // 96 -> 64 letterbox: ratio 2/3, no padding (square images); the same boxes through the training code.
        for (int i = 0; i < ds.Count; i++)
        {
            var im = ds.Images[i];
            var rows = im.Labels.SelectMany(b => new[] { 0f, b.Class, (b.X1 + b.X2) / 2 / 96f, (b.Y1 + b.Y2) / 2 / 96f, b.Width / 96f, b.Height / 96f }).ToArray();
            using var targets = rows.Length == 0 ? zeros(0, 6) : tensor(rows).view(-1, 6);
            var expected = ImitationMask.Build(targets, 1, 64, 64, ModelConfig.FromName("yolov5s"), levels: FgfiLoss.Levels.Default);
            string[] names = ["P3", "P4", "P5"];
            for (int l = 0; l < 3; l++)
            {
                var got = file[$"{im.Id}/{names[l]}"];
                Assert.Equal(ScalarType.Byte, got.dtype);
                Assert.Equal(expected[l][0].shape, got.shape);
                Assert.True(got.eq(expected[l][0].to(ScalarType.Byte)).all().item<bool>(), $"image {im.Id} {names[l]}");
            }
        }
    }

    [Fact]
    public void Masks_and_distill_reject_bad_input_with_a_user_error()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-dataset-root");
        Assert.Equal(CliRunner.UserError, Run("masks", "--data", missing, "--split", "val"));
        Assert.Equal(CliRunner.UserError, Run("masks", "--data", missing, "--split", "val", "--psi", "2"));
        var tmp = Directory.CreateTempSubdirectory().FullName;
        Assert.Equal(CliRunner.UserError, Run("distill", "--data", missing, "--teacher", Path.Combine(tmp, "none.pt"), "--out", tmp));
        Assert.Equal(CliRunner.UserError, Run("distill", "--data", missing, "--teacher", Path.Combine(tmp, "none.pt"), "--method", "fgfi+xyz", "--out", tmp));
        Assert.Equal(CliRunner.UserError, Run("distill", "--resume", tmp));
    }

    [Fact]
    public void Bench_distill_step_writes_its_result_file()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory().FullName, "distill_step.json");
        Assert.Equal(0, Run("bench", "distill-step", "--teacher", "yolov5n", "--student", "yolov5n", "--batch", "1", "--img", "64",
            "--boxes", "3", "--iters", "1", "--warmup", "0", "--out", file));
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        var r = doc.RootElement;
        foreach (var key in new[] { "distill_step_s", "student_step_s", "teacher_forward_s", "mask_build_s", "mask_share_of_distill_step" })
            Assert.True(r.GetProperty(key).GetDouble() > 0, key);
        Assert.Equal("fgfi", r.GetProperty("method").GetString());
        Assert.Equal(CliRunner.UserError, Run("bench", "distill-step", "--img", "100", "--masks-only", "--out", file));
    }
}
