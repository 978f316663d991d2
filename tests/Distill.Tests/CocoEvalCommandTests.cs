using System.Text.Json;
using YoloDistill.Distill.Cli;
using YoloDistill.Tests;

namespace YoloDistill.Distill.Tests;

[Collection(ConsoleCollection.Name)]
public class CocoEvalCommandTests
{
    [Fact]
    public async Task WritesFullPrecisionStatsAndPerCategoryAp()
    {
        var gt = RefData.Require("data/coco128/annotations/instances_train2017.json");
        var dt = RefData.Require("reference/preds/yolov5n_coco128.json");
        var outFile = Path.Combine(Directory.CreateTempSubdirectory("cocoeval-cli").FullName, "stats.json");
        int code = await CliHarness.RunAsync(["cocoeval", "--annotations", gt, "--detections", dt, "--out", outFile]);
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(File.ReadAllText(outFile));
        var stats = doc.RootElement.GetProperty("stats").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(12, stats.Length);
        Assert.Equal(0.348657, stats[0], 6);
        Assert.Equal(0.551920, stats[1], 6);
        var person = doc.RootElement.GetProperty("per_category").GetProperty("person").GetDouble();
        Assert.InRange(person, 0.40, 0.50); // val.py reports person mAP50-95 0.445 on the same detections
    }

    [Fact]
    public void MissingDetectionsFileIsAUserError()
    {
        var gt = RefData.Require("data/coco128/annotations/instances_train2017.json");
        Assert.Contains("Detections file '/nonexistent/dets.json' does not exist", CliHarness.UserError("cocoeval", "--annotations", gt, "--detections", "/nonexistent/dets.json"));
    }
}
