using System.Text.Json;
using TorchSharp;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Training;
using YoloDistill.Detector.Weights;
using YoloDistill.Distill.Cli;
using YoloDistill.Distill.Distillation;
using YoloDistill.Tests;
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
        Assert.Contains($"dataset root '{missing}' not found", CliHarness.UserError("masks", "--data", missing, "--split", "val"));
        var tmp = Directory.CreateTempSubdirectory().FullName;
        // Valid data and teacher: the option check itself must be what fails.
        var data = Path.Combine(tmp, "data");
        SynthDataset.Generate(data, 3, new SynthOptions { Train = 1, Val = 1, ImgSize = 64 });
        var teacher = RefData.Require("weights/yolov5n.safetensors");
        Assert.Contains("--psi 2: must lie in [0, 1]", CliHarness.UserError("masks", "--data", data, "--split", "val", "--psi", "2", "--out", tmp));
        Assert.Contains("--psi 2: must lie in [0, 1]", CliHarness.UserError("distill", "--data", data, "--teacher", teacher, "--psi", "2", "--out", Path.Combine(tmp, "r1")));
        Assert.Contains("Unknown distillation method 'xyz'",
            CliHarness.UserError("distill", "--data", data, "--teacher", teacher, "--method", "fgfi+xyz", "--out", Path.Combine(tmp, "r2")));
        Assert.Contains("--psi does not apply to --method kd",
            CliHarness.UserError("distill", "--data", data, "--teacher", teacher, "--method", "kd", "--psi", "0.5", "--out", Path.Combine(tmp, "r3")));
        Assert.Contains("--kd-obj 'hard': expected iou, soft, none",
            CliHarness.UserError("distill", "--data", data, "--teacher", teacher, "--method", "kd", "--kd-obj", "hard", "--out", Path.Combine(tmp, "r5")));
        Assert.Contains("--cwd-norm does not apply to --method kd+kdbox (it sets cwd)",
            CliHarness.UserError("distill", "--data", data, "--teacher", teacher, "--method", "kdbox+kd", "--cwd-norm", "bn", "--out", Path.Combine(tmp, "r6")));
        Assert.Contains("none.pt: teacher weights not found", CliHarness.UserError("distill", "--data", data, "--teacher", Path.Combine(tmp, "none.pt"), "--out", Path.Combine(tmp, "r4")));
        Assert.Contains("weights/last.ckpt: no checkpoint to resume from", CliHarness.UserError("distill", "--resume", tmp));
        Assert.Contains("--clip 'adapters': expected all, student or separate",
            CliHarness.UserError("distill", "--data", data, "--teacher", teacher, "--clip", "adapters", "--out", Path.Combine(tmp, "r7")));
        Assert.Contains("--distill-stop-epochs 3: must be less than --epochs 3 (distillation would never run)",
            CliHarness.UserError("distill", "--data", data, "--teacher", teacher, "--epochs", "3", "--distill-stop-epochs", "3", "--out", Path.Combine(tmp, "r8")));
        Assert.Contains("--distill-decay 'step'", CliHarness.UserError("distill", "--data", data, "--teacher", teacher, "--distill-decay", "step", "--out", Path.Combine(tmp, "r9")));
        foreach (var r in new[] { "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9" }) Assert.False(Directory.Exists(Path.Combine(tmp, r)), r);
    }

    [Fact]
    public void Distill_help_lists_the_run_schedule_and_the_clip_with_their_defaults()
    {
        var (code, help) = CliHarness.RunCaptured("distill", "--help");
        Assert.Equal(0, code);
        var flat = string.Join(" ", help.Split((char[])['\n', '\r'], StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
        foreach (var text in new[] { "--distill-decay", "(none, cosine, linear) [default: none]", "--distill-final", "[default: 0.1]",
                                     "--distill-stop-epochs", "no teacher forward", "--clip", "student (the student's only" })
            Assert.Contains(text, flat);
    }

    [Fact]
    public void Resume_refuses_a_plain_run_for_distill_and_a_distill_run_whose_teacher_is_gone()
    {
        var root = Directory.CreateTempSubdirectory().FullName;
        var plain = ResumableRun(root, "plain", new() { ["producer"] = "yolo-distill train" });
        Assert.Contains("weights/last.ckpt: not a distill run (no distillation settings in the checkpoint); resume it with `train --resume`",
            CliHarness.UserError("distill", "--resume", plain));
        // train --resume rebuilds a distill run's distillation, so it needs the recorded teacher as distill --resume does.
        var gone = Path.Combine(root, "gone.safetensors");
        var distilled = ResumableRun(root, "distilled", new() { ["distill.method"] = "kd", ["distill.teacher"] = gone });
        foreach (var verb in new[] { "train", "distill" })
            Assert.Contains($"weights/last.ckpt: its teacher {gone} is no longer there", CliHarness.UserError(verb, "--resume", distilled));
    }

    /// <summary>A run folder whose last.ckpt can be resumed (epoch 0 of 3) and records <paramref name="metadata"/>; its model is a stand-in.</summary>
    static string ResumableRun(string root, string name, Dictionary<string, string> metadata)
    {
        var dir = Path.Combine(root, name);
        Directory.CreateDirectory(Path.Combine(dir, "weights"));
        using var net = nn.Linear(2, 2);
        using var opt = OptimizerFactory.Create(OptimizerKind.SGD, OptimizerFactory.Classify(net), 0.01, 0.937, 0.0005);
        using var c = new CheckpointData
        {
            Config = ModelConfig.FromName("yolov5n", 2, ["a", "b"]),
            Ema = CheckpointData.Snapshot(net), Model = CheckpointData.Snapshot(net), Optimizer = OptimizerSnapshot.Capture(opt),
            Epoch = 0, Options = new TrainOptions { Epochs = 3, SaveDir = dir }, Metadata = metadata,
        };
        Checkpoint.Save(Path.Combine(dir, "weights", "last.ckpt"), c);
        return dir;
    }

    [Fact]
    public void Bench_distill_step_writes_its_result_file()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory().FullName, "distill_step.json");
        Assert.Equal(0, Run("bench", "distill-step", "--teacher", "yolov5n", "--student", "yolov5n", "--batch", "1", "--img", "64",
            "--boxes", "3", "--iters", "1", "--warmup", "0", "--out", file));
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        var r = doc.RootElement;
        foreach (var key in new[] { "distill_step_s", "student_step_s", "teacher_forward_s", "mask_build_s", "mask_share_of_distill_step",
                                    "distill_over_student", "teacher_forward_share_of_distill_step", "instances_per_image" })
            Assert.True(r.GetProperty(key).GetDouble() > 0, key);
        Assert.Equal("fgfi", r.GetProperty("method").GetString());
        // The trainer's step: batch 1 accumulates 64 batches per optimizer step; the one timed step (the first after the
        // lr warm-up) makes one, since none was made before.
        Assert.Equal(64, r.GetProperty("accumulate").GetInt32());
        Assert.Equal(1, r.GetProperty("distill_optimizer_steps").GetInt32());
        Assert.Equal(1, r.GetProperty("distill_step_seconds").GetArrayLength());
        Assert.StartsWith("TrainingStep.Run", r.GetProperty("measured").GetString());
        Assert.Contains("--clip 'none': expected all, student or separate", CliHarness.UserError("bench", "distill-step", "--clip", "none", "--out", file));
        Assert.Contains("--img 100: must be a multiple of 32", CliHarness.UserError("bench", "distill-step", "--img", "100", "--masks-only", "--out", file));
    }
}
