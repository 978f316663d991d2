using System.Text.Json;
using OpenCvSharp;
using YoloDistill.Detector.Data;
using YoloDistill.Tests;

namespace YoloDistill.Distill.Tests;

[Collection(ConsoleCollection.Name)]
public class BenchApiCommandTests
{
    [Fact]
    public void Times_the_api_for_each_backend_and_size_and_writes_the_results()
    {
        var dir = Directory.CreateTempSubdirectory("bench-api").FullName;
        var image = Path.Combine(dir, "scene.jpg");
        var (im, _) = SynthScene.Random(160, 120, new SampleRng(1), SynthDomain.Pretrain);
        using (im) Cv2.ImWrite(image, im);
        var file = Path.Combine(dir, "api.json");
        var weights = Path.Combine(RefData.RepoRoot, "weights", "yolov5n-pretrain.ckpt");

        Assert.Equal(0, CliHarness.Run("bench", "api", "--weights", weights, "--image", image, "--img", "64", "96", "--runs", "2", "--out", file));

        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        var results = doc.RootElement.GetProperty("results").EnumerateArray()
            .Select(r => (r.GetProperty("Backend").GetString(), r.GetProperty("ImgSize").GetInt32(), r.GetProperty("MedianMs").GetDouble())).ToArray();
        Assert.Equal([("torch", 64), ("onnx", 64), ("torch", 96), ("onnx", 96)], results.Select(r => (r.Item1, r.Item2)));
        Assert.All(results, r => Assert.True(r.Item3 > 0));
    }
}
