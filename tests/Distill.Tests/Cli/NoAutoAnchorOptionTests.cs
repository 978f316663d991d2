using System.CommandLine;
using YoloDistill.Distill.Cli;

namespace YoloDistill.Distill.Tests.Cli;

/// <summary>--noautoanchor on train and distill (one TrainArguments for both) reaches the training options.</summary>
public class NoAutoAnchorOptionTests
{
    static Detector.Training.TrainOptions Bind(string verb, params string[] extra)
    {
        var dir = Directory.CreateTempSubdirectory("yd-noautoanchor").FullName;
        var args = new TrainArguments(verb);
        var cmd = new Command(verb);
        args.AddTo(cmd);
        var pr = cmd.Parse(["--data", dir, "--out", Path.Combine(dir, "run"), .. extra]);
        Assert.Empty(pr.Errors);
        return args.Bind(pr, "yolov5n", null);
    }

    [Theory]
    [InlineData("train")]
    [InlineData("distill")]
    public void Noautoanchor_is_off_by_default_and_set_by_the_flag(string verb)
    {
        Assert.False(Bind(verb).NoAutoAnchor);
        Assert.True(Bind(verb, "--noautoanchor").NoAutoAnchor);
    }
}
