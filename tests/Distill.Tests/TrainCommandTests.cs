using System.Text.Json;
using YoloDistill.Distill.Cli;

namespace YoloDistill.Distill.Tests;

[Collection(ConsoleCollection.Name)]
public class TrainCommandTests
{
    static int Run(params string[] args) => CliHarness.Run(args);

    [Fact]
    public void Bad_inputs_are_user_errors_and_create_no_run_folder()
    {
        var dir = Directory.CreateTempSubdirectory().FullName;
        var hyp = Path.Combine(dir, "hyp.yaml");
        File.WriteAllText(hyp, "lr0: 0.01\nlr_0: 1\n");
        var data = Directory.CreateDirectory(Path.Combine(dir, "data")).FullName;
        Assert.Contains($"{hyp}:2: unknown hyperparameter 'lr_0'", CliHarness.UserError("train", "--data", data, "--hyp", hyp, "--out", Path.Combine(dir, "run1")));
        Assert.False(Directory.Exists(Path.Combine(dir, "run1")));
        Assert.Contains("missing: dataset root not found", CliHarness.UserError("train", "--data", Path.Combine(dir, "missing"), "--out", Path.Combine(dir, "run2")));
        Assert.False(Directory.Exists(Path.Combine(dir, "run2")));
        Assert.Contains("nothing: run folder not found", CliHarness.UserError("train", "--resume", Path.Combine(dir, "nothing")));
        Assert.Contains("weights/last.ckpt: no checkpoint to resume from", CliHarness.UserError("train", "--resume", data));
    }

    [Fact]
    public void Bench_train_step_writes_its_result_file()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory().FullName, "ts.json");
        Assert.Equal(0, Run("bench", "train-step", "--model", "yolov5n", "--batch", "2", "--img", "64", "--steps", "1", "--threads", "1", "--out", file));
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        var r = doc.RootElement.GetProperty("result");
        Assert.Equal("yolov5n", r.GetProperty("Model").GetString());
        Assert.Equal(1, r.GetProperty("StepSeconds").GetArrayLength());
        Assert.True(r.GetProperty("MedianSeconds").GetDouble() > 0);
    }
}
