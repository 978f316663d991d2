using System.Text.Json;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Weights;
using YoloDistill.Distill.Cli;

namespace YoloDistill.Distill.Tests;

[Collection(ConsoleCollection.Name)]
public class ValCommandTests
{
    /// <summary>A 3-image synthetic val split and fresh yolov5n weights for its classes, saved as safetensors.</summary>
    static (string Data, string Weights, SynthSummary Summary) Fixture(string tmp)
    {
        var data = Path.Combine(tmp, "data");
        var summary = SynthDataset.Generate(data, 3, new SynthOptions { Train = 1, Val = 3, ImgSize = 64 });
        var cfg = ModelConfig.FromName("yolov5n", summary.Names.Count, summary.Names.ToArray());
        using var model = new YoloModel(cfg);
        var weights = Path.Combine(tmp, "fresh.safetensors");
        WeightsFile.SaveSafeTensors(weights, model.state_dict(), cfg);
        return (data, weights, summary);
    }

    [Fact]
    public async Task WritesPredictionsStatsCsvAndPlots()
    {
        var tmp = Directory.CreateTempSubdirectory("val-cli").FullName;
        try
        {
            var (data, weights, summary) = Fixture(tmp);
            var outDir = Path.Combine(tmp, "out");
            // an untrained head's confidences are tiny: a near-zero threshold still yields detections to write
            int code = await CliHarness.RunAsync(["val", "--data", data, "--split", "val", "--weights", weights,
                "--img", "64", "--batch", "2", "--conf", "1e-9", "--max-det", "20", "--workers", "1", "--out", outDir]);
            Assert.Equal(0, code);

            using var preds = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "predictions.json")));
            var ds = CocoDataset.Load(data, "val");
            var imageIds = ds.Images.Select(i => i.Id).ToHashSet();
            var categoryIds = ds.ClassToCategoryId.Select(c => (long)c).ToHashSet();
            Assert.InRange(preds.RootElement.GetArrayLength(), 1, 3 * 20);
            foreach (var p in preds.RootElement.EnumerateArray())
            {
                Assert.Contains(p.GetProperty("image_id").GetInt64(), imageIds);
                Assert.Contains(p.GetProperty("category_id").GetInt64(), categoryIds);
                Assert.Equal(4, p.GetProperty("bbox").GetArrayLength());
            }

            using var stats = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "stats.json")));
            var root = stats.RootElement;
            Assert.Equal(12, root.GetProperty("coco").GetArrayLength());
            foreach (var key in new[] { "precision", "recall", "map50", "map50_95" })
                Assert.InRange(root.GetProperty(key).GetDouble(), 0.0, 1.0);
            Assert.Equal(3, root.GetProperty("images").GetInt32());
            Assert.Equal(summary.ValBoxes, root.GetProperty("instances").GetInt64());
            Assert.Equal(JsonValueKind.Array, root.GetProperty("per_class").ValueKind);

            var csv = File.ReadAllLines(Path.Combine(outDir, "per_class.csv"));
            Assert.Equal("Class,Images,Instances,P,R,mAP50,mAP50-95", csv[0]);
            Assert.StartsWith($"all,3,{summary.ValBoxes},", csv[1]);
            Assert.Equal(2 + root.GetProperty("per_class").GetArrayLength(), csv.Length);
            Assert.True(new FileInfo(Path.Combine(outDir, "confusion_matrix.png")).Length > 0);
        }
        finally { Directory.Delete(tmp, true); }
    }

    [Fact]
    public void MissingWeightsOrDataAreUserErrors()
    {
        var tmp = Directory.CreateTempSubdirectory("val-cli").FullName;
        try
        {
            var (data, weights, _) = Fixture(tmp);
            Assert.Contains("missing.pt: weights file not found",
                CliHarness.UserError("val", "--data", data, "--split", "val", "--weights", Path.Combine(tmp, "missing.pt"), "--out", Path.Combine(tmp, "o1")));
            Assert.Contains("nowhere", CliHarness.UserError("val", "--data", Path.Combine(tmp, "nowhere"), "--split", "val", "--weights", weights, "--out", Path.Combine(tmp, "o2")));
            Assert.False(Directory.Exists(Path.Combine(tmp, "o1")));
        }
        finally { Directory.Delete(tmp, true); }
    }
}
