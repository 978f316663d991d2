using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Evaluation;
using YoloDistill.Tests;

namespace YoloDistill.Detector.Tests.Evaluation;

/// <summary>val as a library call: prepare (checks), run (files and numbers), and what it refuses.</summary>
public class ValJobTests
{
    static readonly string Teacher = Path.Combine(RefData.RepoRoot, "weights", "teacher-yolov5s-shapes.ckpt");

    [Fact]
    public void Runs_the_shipped_teacher_on_a_synthetic_split_and_writes_vals_files()
    {
        var root = Directory.CreateTempSubdirectory("yd-valjob-").FullName;
        SynthDataset.Generate(Path.Combine(root, "data"), 3, new SynthOptions { Train = 1, Val = 4, ImgSize = 96 });
        using var job = ValJob.Prepare(new ValJobOptions { Data = Path.Combine(root, "data"), Split = "val", Weights = Teacher, ImgSize = 90, Batch = 2, Workers = 1, Device = "cpu", Plots = false });
        Assert.Equal(96, job.ImgSize); // rounded up to the stride, and said so
        Assert.Contains(job.Notes, n => n.Contains("updating to 96"));
        var done = new List<int>();
        var r = job.Run(Path.Combine(root, "out"), new InlineProgress<int>(done.Add));
        Assert.Equal([2, 4], done);
        Assert.Equal(12, r.Coco.Stats.Length);
        Assert.Equal(4, r.Validation.Metrics.Images);
        foreach (var f in new[] { "predictions.json", "stats.json", "per_class.csv" }) Assert.True(File.Exists(Path.Combine(root, "out", f)), f);
        Assert.False(File.Exists(Path.Combine(root, "out", "PR_curve.png")));
    }

    [Fact]
    public void Refuses_missing_weights_and_a_class_count_mismatch()
    {
        var root = Directory.CreateTempSubdirectory("yd-valjob-").FullName;
        var e = Assert.Throws<FileNotFoundException>(() => ValJob.Prepare(new ValJobOptions { Data = root, Weights = Path.Combine(root, "no.pt") }));
        Assert.Contains("no.pt: weights file not found", e.Message);
        SynthDataset.Generate(Path.Combine(root, "p"), 3, new SynthOptions { Train = 1, Val = 1, ImgSize = 64, Domain = SynthDomain.Pretrain });
        var m = Assert.Throws<InvalidDataException>(() => ValJob.Prepare(new ValJobOptions { Data = Path.Combine(root, "p"), Split = "val", Weights = Teacher, Device = "cpu" }));
        Assert.Contains("the model has 8 classes but", m.Message);
    }
}
