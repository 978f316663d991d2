using System.Diagnostics;
using System.Text.Json;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Training;
using YoloDistill.Tests;

namespace YoloDistill.Detector.Tests.Training;

/// <summary>
/// AutoAnchor against Ultralytics v7.0's check_anchors / kmean_anchors on Aquarium train (the label sizes in
/// Fixtures/aquarium_train_label_sizes.csv, the numbers in the shared reference autoanchor_aquarium.json).
/// </summary>
public class AutoAnchorTests
{
    static readonly string FixturePath = Path.Combine(RefData.RepoRoot, "tests", "Detector.Tests", "Fixtures", "aquarium_train_label_sizes.csv");
    static readonly Lazy<LabelSizes> Aquarium = new(() => LabelSizes.ReadCsv(FixturePath));
    static readonly float[] Defaults = ModelConfig.DefaultAnchors.SelectMany(r => r).ToArray();

    static JsonElement Reference()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(RefData.Require("reference/autoanchor_aquarium.json")));
        return doc.RootElement.Clone();
    }

    [Fact]
    public void Fixture_holds_every_aquarium_train_box()
    {
        Assert.Equal(3324, Aquarium.Value.Count);
        Assert.Contains("3324 boxes", Reference().GetProperty("dataset").GetString());
    }

    [Theory]
    [InlineData(128)]
    [InlineData(160)]
    [InlineData(320)]
    [InlineData(640)]
    public void Default_anchors_fit_equals_Ultralytics(int img)
    {
        var r = Reference().GetProperty($"img{img}");
        var fit = AnchorFit.Measure(Aquarium.Value.PixelsAt(img), Defaults, 4.0);
        Assert.Equal(r.GetProperty("bpr").GetDouble(), fit.Bpr, 1e-4);
        Assert.Equal(r.GetProperty("aat").GetDouble(), fit.Aat, 1e-4);
    }

    [Theory]
    [InlineData(128)]
    [InlineData(320)]
    public void Ultralytics_evolved_anchors_measure_as_Ultralytics_reports(int img)
    {
        // The metric and the fitness (mean over all boxes, 0 where the best anchor fails) on Ultralytics' own result.
        var r = Reference().GetProperty($"img{img}");
        var anchors = r.GetProperty("evolved_anchors_px_seed0").EnumerateArray().SelectMany(a => a.EnumerateArray().Select(v => (float)v.GetDouble())).ToArray();
        var fit = AnchorFit.Measure(Aquarium.Value.PixelsAt(img), anchors, 4.0);
        Assert.Equal(r.GetProperty("evolved_bpr").GetDouble(), fit.Bpr, 1e-4);
        Assert.Equal(r.GetProperty("evolved_fitness").GetDouble(), fit.Fitness, 1e-4);
    }

    [Fact]
    public void Evolution_at_128_reaches_Ultralytics_fit_and_repeats_for_a_seed()
    {
        var r = Reference().GetProperty("img128");
        var watch = Stopwatch.StartNew();
        var report = AutoAnchor.Check(Aquarium.Value, ModelConfig.DefaultAnchors, [8, 16, 32], 128, new AutoAnchorOptions { Seed = 0 });
        watch.Stop();
        Assert.Equal(r.GetProperty("bpr").GetDouble(), report.Before.Bpr, 1e-4);
        Assert.NotNull(report.Evolved);
        Assert.True(report.Replaced);
        var e = report.Evolved!;
        Assert.True(e.Fit.Bpr >= 0.99, $"evolved BPR {e.Fit.Bpr}");
        double refFitness = r.GetProperty("evolved_fitness").GetDouble();
        Assert.True(Math.Abs(e.Fit.Fitness - refFitness) <= 0.01 * refFitness, $"fitness {e.Fit.Fitness} vs Ultralytics {refFitness}");
        Assert.True(e.Fitness > e.KMeansFitness, "evolution did not improve on k-means");
        Assert.True(watch.Elapsed.TotalSeconds < 20, $"AutoAnchor took {watch.Elapsed.TotalSeconds:0.0} s");
        // Sorted by area, three per level in stride order, and the model-ready rows are those anchors.
        var areas = e.Anchors.Select(a => a[0] * a[1]).ToArray();
        Assert.Equal(areas.Order(), areas);
        Assert.Equal(e.Anchors.SelectMany(a => a), report.AnchorsPx.SelectMany(row => row));

        var again = AutoAnchor.Check(Aquarium.Value, ModelConfig.DefaultAnchors, [8, 16, 32], 128, new AutoAnchorOptions { Seed = 0 });
        Assert.Equal(report.AnchorsPx.SelectMany(a => a), again.AnchorsPx.SelectMany(a => a));
        var other = AutoAnchor.Check(Aquarium.Value, ModelConfig.DefaultAnchors, [8, 16, 32], 128, new AutoAnchorOptions { Seed = 1 });
        Assert.NotEqual(report.AnchorsPx.SelectMany(a => a), other.AnchorsPx.SelectMany(a => a));
        Assert.True(other.Evolved!.Fit.Bpr >= 0.99, $"seed 1: evolved BPR {other.Evolved.Fit.Bpr}");
    }

    [Fact]
    public void Good_fit_keeps_the_anchors_without_evolving()
    {
        var report = AutoAnchor.Check(Aquarium.Value, ModelConfig.DefaultAnchors, [8, 16, 32], 640, new AutoAnchorOptions());
        Assert.Equal(0.9994, report.Before.Bpr, 1e-4);
        Assert.Null(report.Evolved);
        Assert.False(report.Replaced);
        Assert.Same(ModelConfig.DefaultAnchors, report.AnchorsPx);
        Assert.Contains("good fit", report.Describe()[0]);
    }

    /// <summary>
    /// 85% ordinary boxes and 15% tall thin ones (w/h = 1/40): no default anchor can reach those (the best ratio metric
    /// for an anchor of aspect a is sqrt((1/40)/a) &lt; 0.25 for every default aspect), so BPR starts near 0.85.
    /// </summary>
    static LabelSizes TallThin(int boxes = 2000)
    {
        var rng = new SampleRng(5);
        var w = new float[boxes]; var h = new float[boxes];
        for (int i = 0; i < boxes; i++)
        {
            if (i % 20 < 3)
            {
                float hh = (float)rng.Uniform(120, 600);
                (w[i], h[i]) = (hh / 40 / 640, hh / 640);
            }
            else
            {
                float s = (float)rng.Uniform(15, 200), a = (float)rng.Uniform(0.7, 1.4);
                (w[i], h[i]) = (s * a / 640, s / 640);
            }
        }
        return new LabelSizes(Enumerable.Repeat(640, boxes).ToArray(), Enumerable.Repeat(640, boxes).ToArray(), w, h);
    }

    [Fact]
    public void Tall_thin_boxes_get_anchors_that_reach_them()
    {
        var sizes = TallThin();
        var report = AutoAnchor.Check(sizes, ModelConfig.DefaultAnchors, [8, 16, 32], 640, new AutoAnchorOptions { Seed = 0 });
        Assert.InRange(report.Before.Bpr, 0.8, 0.9);
        Assert.True(report.Replaced);
        Assert.True(report.Evolved!.Fit.Bpr > 0.98, $"BPR after evolution {report.Evolved.Fit.Bpr}");
        Assert.Contains(report.Evolved.Anchors, a => a[0] / a[1] < 0.1f);
        var after = AnchorFit.Measure(sizes.PixelsAt(640), report.AnchorsPx.SelectMany(r => r).ToArray(), 4.0);
        Assert.Equal(report.Evolved.Fit.Bpr, after.Bpr, 12);
    }

    [Fact]
    public void Kept_anchors_when_evolution_is_not_allowed()
    {
        var report = AutoAnchor.Check(TallThin(), ModelConfig.DefaultAnchors, [8, 16, 32], 640, new AutoAnchorOptions(), noEvolveReason: "KD");
        Assert.Null(report.Evolved);
        Assert.False(report.Replaced);
        Assert.Contains("not improved: KD", report.Describe()[0]);
    }

    [Fact]
    public void Anchor_order_follows_the_strides()
    {
        float[][] reversed = [[116, 90, 156, 198, 373, 326], [30, 61, 62, 45, 59, 119], [10, 13, 16, 30, 33, 23]];
        Assert.Equal(ModelConfig.DefaultAnchors, AnchorOrder.ByStride(reversed, [8, 16, 32]));
        Assert.Same(ModelConfig.DefaultAnchors, AnchorOrder.ByStride(ModelConfig.DefaultAnchors, [8, 16, 32]));
    }

    [Fact]
    public void Bad_label_sizes_file_names_the_line()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("aa").FullName, "sizes.csv");
        File.WriteAllText(path, LabelSizes.CsvHeader + "\n640,480,0.5,0.25\n640,abc,0.1,0.1\n");
        var e = Assert.Throws<InvalidDataException>(() => LabelSizes.ReadCsv(path));
        Assert.Contains("sizes.csv:3", e.Message);
    }

    [Fact]
    public void Label_sizes_scale_the_long_side_to_the_training_size()
    {
        var s = new LabelSizes([1024, 768], [768, 1024], [0.5f, 0.25f], [0.25f, 0.5f]);
        Assert.Equal([320f, 120f, 120f, 320f], s.PixelsAt(640));
    }
}
