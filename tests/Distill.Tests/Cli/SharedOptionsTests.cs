using System.CommandLine;
using YoloDistill.Distill.Cli;
using YoloDistill.Tests;

namespace YoloDistill.Distill.Tests.Cli;

/// <summary>Every verb's shared options have one default, and every option of every verb has help text.</summary>
public class SharedOptionsTests
{
    static IEnumerable<(string Path, Option Option)> AllOptions(Command c, string path)
    {
        foreach (var o in c.Options) yield return ($"{path} {o.Name}", o);
        foreach (var sub in c.Subcommands)
            foreach (var x in AllOptions(sub, $"{path} {sub.Name}")) yield return x;
    }

    [Fact]
    public void Device_img_batch_workers_threads_and_seed_default_alike_in_every_verb()
    {
        var expected = new Dictionary<string, object>
        {
            ["--device"] = SharedOptions.DefaultDevice, ["--img"] = SharedOptions.DefaultImg, ["--batch-size"] = SharedOptions.DefaultBatch,
            ["--batch"] = SharedOptions.DefaultBatch, ["--workers"] = SharedOptions.DefaultWorkers, ["--threads"] = SharedOptions.DefaultThreads,
            ["--seed"] = SharedOptions.DefaultSeed,
        };
        // The documented exceptions: the main job's recipe, batch-1 latency, the synthetic images' size, and bench
        // api's list of sizes.
        string[] exempt = ["yolo-distill demo", "yolo-distill bench model --batch", "yolo-distill dataset synth --img", "yolo-distill bench api --img"];
        var checkedCount = 0;
        foreach (var (path, o) in AllOptions(Verbs.Root(), "yolo-distill"))
        {
            if (!expected.TryGetValue(o.Name, out var want) || exempt.Any(path.StartsWith)) continue;
            Assert.True(o.HasDefaultValue, $"{path} has no default");
            var got = o.GetDefaultValue();
            if (got is int[] { Length: 1 } one) got = one[0]; // dataset anchors takes several sizes, 640 by default
            Assert.True(Equals(want, got), $"{path}: default {got}, the shared default is {want}");
            checkedCount++;
        }
        Assert.True(checkedCount >= 30, $"only {checkedCount} shared options found");
    }

    [Fact]
    public void Every_option_of_every_verb_has_help_text()
    {
        var missing = AllOptions(Verbs.Root(), "yolo-distill")
            .Where(x => !x.Option.Hidden && string.IsNullOrWhiteSpace(x.Option.Description))
            .Select(x => x.Path).ToArray();
        Assert.Empty(missing);
    }
}

[Collection(ConsoleCollection.Name)]
public class ProjectAndNameTests
{
    [Fact]
    public void Project_and_name_place_the_run_and_number_a_taken_name()
    {
        var root = Directory.CreateTempSubdirectory("yd-project-").FullName;
        var data = Path.Combine(root, "d");
        Detector.Data.SynthDataset.Generate(data, 1, new Detector.Data.SynthOptions { Train = 1, Val = 1, ImgSize = 64 });
        var teacher = Path.Combine(RefData.RepoRoot, "weights", "teacher-yolov5s-shapes.ckpt");
        string[] val = ["val", "--data", data, "--split", "val", "--weights", teacher, "--img", "64", "--batch", "1", "--workers", "1",
                        "--device", "cpu", "--no-plots", "--project", Path.Combine(root, "p"), "--name", "first"];
        var cfg = new InvocationConfiguration { Output = new StringWriter(), Error = new StringWriter() };
        Assert.Equal(0, Verbs.Root().Parse(val).Invoke(cfg));
        Assert.Equal(0, Verbs.Root().Parse(val).Invoke(cfg));
        Assert.True(File.Exists(Path.Combine(root, "p", "val", "first", "stats.json")));
        Assert.True(File.Exists(Path.Combine(root, "p", "val", "first2", "stats.json")));
        Assert.NotEqual(0, Verbs.Root().Parse([.. val[..^1], "../up"]).Invoke(cfg));
    }
}
