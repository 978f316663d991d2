using OpenCvSharp;
using Spectre.Console;

namespace YoloDistill.Distill.Tests;

/// <summary>yolo-distill dataset anchors on a small YOLO txt folder with planted tall thin boxes.</summary>
[Collection(ConsoleCollection.Name)]
public class DatasetAnchorsCommandTests
{
    /// <summary>Four 640x480 images: per image three ordinary boxes and one 1/40-wide box no default anchor reaches.</summary>
    static string YoloFolder()
    {
        var root = Directory.CreateTempSubdirectory("yd-anchors-").FullName;
        var images = Directory.CreateDirectory(Path.Combine(root, "train", "images")).FullName;
        var labels = Directory.CreateDirectory(Path.Combine(root, "train", "labels")).FullName;
        for (int i = 0; i < 4; i++)
        {
            using var m = new Mat(480, 640, MatType.CV_8UC3, new Scalar(90, 90, 90));
            Cv2.ImWrite(Path.Combine(images, $"{i}.jpg"), m);
            File.WriteAllLines(Path.Combine(labels, $"{i}.txt"),
            [
                $"0 0.5 0.5 {0.1 + 0.01 * i:R} 0.12", $"1 0.3 0.3 0.2 {0.2 + 0.02 * i:R}", $"0 0.7 0.6 0.05 {0.06 + 0.01 * i:R}",
                $"1 0.2 0.5 {(0.9 - 0.1 * i) * 480 / 40 / 640:R} {0.9 - 0.1 * i:R}",
            ]);
        }
        return root;
    }

    /// <summary>Runs the verb with Spectre's console (where the verb prints) recorded, wide enough not to wrap.</summary>
    static (int Code, string Output) Run(params string[] args)
    {
        var sw = new StringWriter();
        var old = AnsiConsole.Console;
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(sw), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        AnsiConsole.Console.Profile.Width = 250;
        try
        {
            var (code, output) = CliHarness.RunCaptured(args);
            return (code, output + sw);
        }
        finally
        {
            AnsiConsole.Console = old;
        }
    }

    [Fact]
    public void Prints_the_fit_per_size_and_evolved_anchors()
    {
        var root = YoloFolder();
        var csv = Path.Combine(root, "sizes.csv");
        var (code, output) = Run("dataset", "anchors", "--data", root, "--split", "train", "--img", "640", "320",
                                                    "--evolve", "--generations", "200", "--dump-sizes", csv);
        Assert.True(code == 0, output);
        Assert.Contains("16 boxes", output);
        Assert.Contains("0.7500", output); // 12 of 16 boxes reachable by the default anchors at 640
        Assert.Contains("evolves new anchors", output);
        Assert.Contains("img 640: evolved", output);
        Assert.Contains("BPR 1.0000", output);
        Assert.Equal(17, File.ReadAllLines(csv).Length);
    }

    [Fact]
    public void Missing_dataset_and_bad_labels_are_user_errors()
    {
        Assert.Contains("not found", CliHarness.UserError("dataset", "anchors", "--data", "/nonexistent/yd-anchors"));
        var root = YoloFolder();
        File.WriteAllText(Path.Combine(root, "train", "labels", "2.txt"), "0 0.5 0.5 wide 0.1\n");
        Assert.Contains("2.txt:1", CliHarness.UserError("dataset", "anchors", "--data", root, "--split", "train"));
    }
}
