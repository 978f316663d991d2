using YoloDistill.Detector.Weights;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Weights;

/// <summary>
/// A hand-pickled miniature of an Ultralytics checkpoint (only the tensors the reader inspects, fp32 storages), to exercise
/// what yolov5n.pt does not: an EMA model, names as a dict, non-persistent buffers, other class counts.
/// </summary>
public class SyntheticCheckpointTests
{
    const int Nc = 2;
    static readonly int[] StemShape = [16, 3, 6, 6];
    static readonly int[] HeadShape = [3 * (Nc + 5), 64, 1, 1];

    static int storageCount;

    static string Write(Dictionary<string, byte[]> storages, Func<PickleBuilder, PickleBuilder> root)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "synthetic.pt");
        PickleBuilder.WriteTorchZip(path, root(new PickleBuilder()).Stop().ToArray(), storages);
        return path;
    }

    static void Tensor(PickleBuilder p, Dictionary<string, byte[]> storages, int[] shape, float fill) =>
        Tensor(p, storages, shape, Enumerable.Repeat(fill, shape.Aggregate(1, (a, b) => a * b)).ToArray());

    static void Tensor(PickleBuilder p, Dictionary<string, byte[]> storages, int[] shape, float[] values)
    {
        var key = $"{Interlocked.Increment(ref storageCount)}";
        storages[key] = values.SelectMany(BitConverter.GetBytes).ToArray();
        p.FloatTensor(key, shape);
    }

    /// <summary>models.yolo.Model with model.0 (conv), model.2.m.0 (bottleneck conv) and Detect at model.24.</summary>
    static void YoloModel(PickleBuilder p, Dictionary<string, byte[]> s, float fill)
    {
        p.Module("models.yolo", "Model",
            children: c => c.Str("model").Module("torch.nn.modules.container", "Sequential", children: layers =>
            {
                layers.Str("0").Module("models.common", "Conv", children: m => m
                    .Str("conv").Module("torch.nn.modules.conv", "Conv2d", parameters: ps => { ps.Str("weight"); Tensor(ps, s, StemShape, fill); ps.Str("bias").None(); }));
                layers.Str("2").Module("models.common", "C3", children: m => m
                    .Str("m").Module("torch.nn.modules.container", "Sequential", children: b => b
                        .Str("0").Module("torch.nn.modules.conv", "Conv2d", parameters: ps => { ps.Str("weight"); Tensor(ps, s, [8, 8, 1, 1], fill); })));
                layers.Str("24").Module("models.yolo", "Detect",
                    buffers: bs => { bs.Str("anchors"); Tensor(bs, s, [3, 3, 2], 2f); bs.Str("scratch"); Tensor(bs, s, [1], 0f); },
                    nonPersistent: ["scratch"],
                    children: m => m.Str("m").Module("torch.nn.modules.container", "ModuleList", children: convs =>
                    {
                        for (int i = 0; i < 3; i++)
                            convs.Str($"{i}").Module("torch.nn.modules.conv", "Conv2d", parameters: ps => { ps.Str("weight"); Tensor(ps, s, HeadShape, fill); });
                    }),
                    attributes: a => { a.Str("nc").Int(Nc).Str("stride"); Tensor(a, s, [3], [8f, 16f, 32f]); });
            }),
            attributes: a => a.Str("names").EmptyDict().Mark().Int(1).Str("dog").Int(0).Str("cat").SetItems());
    }

    [Fact]
    public void Ema_model_is_preferred_and_dict_names_are_ordered_by_index()
    {
        var s = new Dictionary<string, byte[]>();
        var path = Write(s, p =>
        {
            p.EmptyDict().Mark().Str("model");
            YoloModel(p, s, 1f);
            p.Str("ema");
            YoloModel(p, s, 7f);
            return p.SetItems();
        });
        using var w = WeightsFile.Load(path);
        Assert.Equal("ema", w.Metadata.Extra["weights_from"]);
        Assert.Equal(7f, w.StateDict["model.0.conv.weight"][0, 0, 0, 0].item<float>());
        Assert.Equal(Nc, w.Config.Nc);
        Assert.Equal(["cat", "dog"], w.Config.Names);
        Assert.Equal("n", w.Config.Scale);
        Assert.Equal([16f, 16, 16, 16, 16, 16], w.Config.AnchorsPx[0]);
        Assert.Equal([64f, 64, 64, 64, 64, 64], w.Config.AnchorsPx[2]);
        Assert.DoesNotContain("model.24.scratch", w.StateDict.Keys);
        Assert.Equal(
            ["model.0.conv.weight", "model.2.m.0.weight", "model.24.anchors", "model.24.m.0.weight", "model.24.m.1.weight", "model.24.m.2.weight"],
            w.StateDict.Keys);
    }

    [Fact]
    public void Head_rows_that_disagree_with_the_pickled_nc_are_refused()
    {
        var s = new Dictionary<string, byte[]>();
        var path = Write(s, p =>
        {
            p.EmptyDict().Mark().Str("model");
            YoloModel(p, s, 1f);
            return p.SetItems();
        });
        // The pickled Detect says nc=2; a head with 3*(4+5) rows contradicts it.
        using var w = WeightsFile.Load(path);
        Assert.Equal(2, w.Config.Names.Length);
        var bad = new Dictionary<string, Tensor>(w.StateDict) { ["model.24.m.0.weight"] = zeros(3 * 9, 64, 1, 1) };
        var e = Assert.Throws<InvalidDataException>(() => ConfigInference.Infer(bad, w.Metadata, "x.pt"));
        Assert.Contains("x.pt", e.Message);
        Assert.Contains("nc=2", e.Message);
    }
}
