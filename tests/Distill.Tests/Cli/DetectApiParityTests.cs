using System.Globalization;
using YoloDistill.Detector.Inference;
using YoloDistill.Distill.Tests;
using YoloDistill.Tests;

namespace YoloDistill.Distill.Tests.Cli;

/// <summary>The CLI's detect goes through the public API: its detections.csv holds exactly what YoloDetector returns.</summary>
[Collection(ConsoleCollection.Name)]
public class DetectApiParityTests
{
    [Fact]
    public async Task Detect_csv_rows_equal_the_apis_detections_on_bus()
    {
        var weights = RefData.Require("weights/yolov5n.pt");
        var bus = RefData.Require("reference/images/bus.jpg");
        var outDir = Path.Combine(Directory.CreateTempSubdirectory("cli").FullName, "det");
        Assert.Equal(0, await CliHarness.RunAsync(["detect", "--weights", weights, "--source", bus, "--backend", "torch", "--device", "cpu", "--out", outDir]));
        var rows = File.ReadAllLines(Path.Combine(outDir, "detections.csv")).Skip(1).ToArray();

        using var detector = YoloDetector.Load(weights, new DetectorOptions { Backend = InferenceBackend.Torch, Device = "cpu" });
        var expected = detector.Detect(bus).Select(d => string.Join(',', bus, "0", d.ClassId.ToString(CultureInfo.InvariantCulture), d.ClassName,
            d.Confidence.ToString("0.#####", CultureInfo.InvariantCulture), F(d.X1), F(d.Y1), F(d.X2), F(d.Y2))).ToArray();
        Assert.Equal(5, expected.Length); // torch pads minimally (640x480), which adds a fifth person at the edge
        Assert.Equal(expected, rows);
    }

    static string F(float v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
