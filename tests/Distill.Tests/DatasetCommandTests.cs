using System.CommandLine;
using System.Text.Json;
using YoloDistill.Distill.Cli;

namespace YoloDistill.Distill.Tests;

[Collection(ConsoleCollection.Name)]
public class DatasetCommandTests
{
    static int Run(params string[] args)
    {
        return Verbs.Root().Parse(args).Invoke(new InvocationConfiguration { Output = new StringWriter(), Error = new StringWriter() });
    }

    [Fact]
    public void Synth_then_check_then_break_it_then_skip_bad()
    {
        var dir = Path.Combine(Directory.CreateTempSubdirectory("yd-cli-").FullName, "shapes");
        Assert.Equal(0, Run("dataset", "synth", "--out", dir, "--seed", "4", "--train", "5", "--val", "2", "--img", "64"));
        Assert.True(File.Exists(Path.Combine(dir, "annotations", "instances_val.json")));
        Assert.Equal(0, Run("dataset", "check", "--data", dir, "--split", "train"));
        File.Delete(Path.Combine(dir, "train", "000002.jpg"));
        Assert.Equal(1, Run("dataset", "check", "--data", dir, "--split", "train"));
        Assert.Equal(0, Run("dataset", "check", "--data", dir, "--split", "train", "--skip-bad"));
    }

    [Fact]
    public void Synth_video_and_bench_loader_write_their_files()
    {
        var tmp = Directory.CreateTempSubdirectory("yd-cli-").FullName;
        var video = Path.Combine(tmp, "v.mp4");
        Assert.Equal(0, Run("dataset", "synth-video", "--out", video, "--seed", "1", "--frames", "5", "--size", "96x64"));
        Assert.True(new FileInfo(video).Length > 0);

        var data = Path.Combine(tmp, "d");
        Assert.Equal(0, Run("dataset", "synth", "--out", data, "--train", "4", "--val", "1", "--img", "64"));
        var result = Path.Combine(tmp, "bench.json");
        Assert.Equal(0, Run("bench", "loader", "--data", data, "--split", "train", "--img", "64", "--batch", "2", "--batches", "3", "--out", result));
        using var doc = JsonDocument.Parse(File.ReadAllText(result));
        Assert.Equal(6, doc.RootElement.GetProperty("images").GetInt32());
        Assert.True(doc.RootElement.GetProperty("images_per_second").GetDouble() > 0);
        // The envelope every bench verb writes.
        Assert.Equal("loader", doc.RootElement.GetProperty("bench").GetString());
        Assert.Equal(Environment.ProcessorCount, doc.RootElement.GetProperty("machine").GetProperty("cores").GetInt32());
        Assert.NotEmpty(doc.RootElement.GetProperty("machine").GetProperty("vector_isa").GetString()!);
        Assert.True(doc.RootElement.GetProperty("threads").GetInt32() > 0);
        Assert.True(doc.RootElement.TryGetProperty("git_commit", out _));
    }

    [Fact]
    public void Convert_warns_per_file_and_trains_on_the_rest_strict_fails_and_an_unknown_format_is_refused()
    {
        var tmp = Directory.CreateTempSubdirectory("yd-cli-").FullName;
        var images = Directory.CreateDirectory(Path.Combine(tmp, "images")).FullName;
        var labels = Directory.CreateDirectory(Path.Combine(tmp, "labels")).FullName;
        using (var m = new OpenCvSharp.Mat(32, 32, OpenCvSharp.MatType.CV_8UC3, OpenCvSharp.Scalar.All(0)))
            OpenCvSharp.Cv2.ImWrite(Path.Combine(images, "a.jpg"), m);
        File.WriteAllText(Path.Combine(labels, "a.txt"), "0 0.5 0.5 0.5 0.5\n0 0.5 0.5 0 0\n");
        File.WriteAllText(Path.Combine(tmp, "names.txt"), "fish\n");
        string[] common = ["dataset", "convert", "--images", images, "--labels", labels, "--names", Path.Combine(tmp, "names.txt"), "--split", "train"];

        var err = new StringWriter();
        var saved = Console.Error;
        Console.SetError(err);
        try
        {
            Assert.NotEqual(0, Run([.. common, "--out", Path.Combine(tmp, "strict"), "--strict"]));
            Assert.False(File.Exists(Path.Combine(tmp, "strict", "annotations", "instances_train.json")));
            Assert.Equal(0, Run([.. common, "--out", Path.Combine(tmp, "out")]));
        }
        finally
        {
            Console.SetError(saved);
        }
        Assert.Contains($"warning: {Path.Combine(labels, "a.txt")}: 1 label dropped (line 2: zero-size box", err.ToString());
        Assert.Contains("1 faulty label dropped in 1 file(s): 1 zero-size", err.ToString());
        Assert.True(File.Exists(Path.Combine(tmp, "out", "annotations", "instances_train.json")));
        Assert.NotEqual(0, Run([.. common, "--out", Path.Combine(tmp, "x"), "--from", "xml"]));
    }
}
