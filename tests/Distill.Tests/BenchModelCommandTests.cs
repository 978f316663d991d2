using System.Text.Json;
using YoloDistill.Distill.Cli;

namespace YoloDistill.Distill.Tests;

[Collection(ConsoleCollection.Name)]
public class BenchModelCommandTests
{
    static int Run(params string[] args) => CliHarness.Run(args);

    [Fact]
    public void Writes_parameters_GFLOPs_and_timings_to_the_result_file()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory().FullName, "bench.json");
        Assert.Equal(0, Run("bench", "model", "--model", "yolov5n", "--img", "64", "--runs", "1", "--warmup", "0", "--out", file));
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        var variants = doc.RootElement.GetProperty("Variants");
        Assert.Equal(1872157L, variants[0].GetProperty("Parameters").GetInt64());
        Assert.Equal(1867405L, variants[1].GetProperty("Parameters").GetInt64());
        // 4.49 GFLOPs at 640 scales with area: (64/640)^2.
        Assert.Equal(0.0449, variants[0].GetProperty("GFlops").GetDouble(), 3);
        Assert.True(variants[1].GetProperty("MedianMs").GetDouble() > 0);
    }

    [Fact]
    public void Bad_image_size_is_a_user_error()
    {
        Assert.Contains("--img 100: must be a positive multiple of 32", CliHarness.UserError("bench", "model", "--model", "yolov5n", "--img", "100", "--runs", "0"));
        Assert.Contains("Unknown model 'yolov9'", CliHarness.UserError("bench", "model", "--model", "yolov9", "--runs", "0"));
    }
}
