using YoloDistill.Detector.Model;

namespace YoloDistill.Detector.Tests.Model;

public class ModelSummaryTests
{
    // Ultralytics' README table (nc=80, 640): params of the fused model in millions, GFLOPs of the unfused model.
    [Theory]
    [InlineData("yolov5n", 1872157L, 1.9, 4.5)]
    [InlineData("yolov5s", 7235389L, 7.2, 16.5)]
    [InlineData("yolov5m", 21190557L, 21.2, 49.0)]
    [InlineData("yolov5l", 46563709L, 46.5, 109.1)]
    [InlineData("yolov5x", 86749405L, 86.7, 205.7)]
    public void Parameters_and_GFLOPs_match_Ultralytics(string name, long unfusedParams, double fusedMillions, double gflops)
    {
        using var model = new YoloModel(ModelConfig.FromName(name, 80));
        var (p, g) = ModelSummary.Count(model, 640);
        Assert.Equal(unfusedParams, p);
        Assert.Equal(gflops, Math.Round(g, 1));
        model.Fuse();
        var (pf, _) = ModelSummary.Count(model, 640);
        Assert.Equal(fusedMillions, Math.Round(pf / 1e6, 1));
    }

    [Fact]
    public void Fused_yolov5n_has_exactly_the_Ultralytics_parameter_count()
    {
        using var model = new YoloModel(ModelConfig.FromName("yolov5n", 80));
        model.Fuse();
        Assert.Equal(1867405L, ModelSummary.Count(model, 640).parameters);
        // FLOPs scale with image area: 320 is a quarter of 640.
        model.Dispose();
        using var m2 = new YoloModel(ModelConfig.FromName("yolov5n", 80));
        Assert.Equal(ModelSummary.GFlops(m2, 640) / 4, ModelSummary.GFlops(m2, 320), 9);
    }

    [Fact]
    public void Layer_table_lists_every_layer_with_its_parameters()
    {
        using var model = new YoloModel(ModelConfig.FromName("yolov5n", 80));
        var rows = ModelSummary.Layers(model);
        Assert.Equal(25, rows.Count);
        Assert.Equal(1760, rows[0].Parameters);            // 16x3x6x6 + BN 2x16
        Assert.Equal("[17, 20, 23]", rows[24].From);
        Assert.Equal(ModelSummary.Parameters(model), rows.Sum(r => r.Parameters));
    }
}
