using TorchSharp;
using TorchSharp.Modules;
using YoloDistill.Detector.Weights;
using YoloDistill.Tests;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace YoloDistill.Detector.Tests.Weights;

public class StateDictImporterTests
{
    /// <summary>A small stand-in with Ultralytics-style keys: model.{0..3} conv/bn blocks and a Detect-like model.24.m.{0,1,2}.</summary>
    sealed class TinyDetector : Module<Tensor, Tensor>
    {
        readonly Sequential model;

        public TinyDetector(int nc, int width = 8) : base("TinyDetector")
        {
            var layers = new List<(string, Module<Tensor, Tensor>)>();
            for (int i = 0; i < 4; i++) layers.Add(($"{i}", new Block(i == 0 ? 3 : width, width)));
            layers.Add(("24", new Head(width, nc)));
            model = Sequential(layers);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => model.forward(x);
    }

    sealed class Block : Module<Tensor, Tensor>
    {
        readonly Module<Tensor, Tensor> conv, bn;

        public Block(int c1, int c2) : base("Block")
        {
            conv = Conv2d(c1, c2, 3, padding: 1, bias: false);
            bn = BatchNorm2d(c2);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => bn.forward(conv.forward(x));
    }

    sealed class Head : Module<Tensor, Tensor>
    {
        readonly ModuleList<Module<Tensor, Tensor>> m = new();

        public Head(int c, int nc) : base("Head")
        {
            for (int i = 0; i < 3; i++) m.Add(Conv2d(c, 3 * (nc + 5), 1));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => m[0].forward(x);
    }

    static Dictionary<string, Tensor> Snapshot(Module m) =>
        m.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    [Fact]
    public void Same_classes_copies_every_tensor()
    {
        manual_seed(1);
        using var src = new TinyDetector(80);
        using (no_grad()) foreach (var (_, b) in src.named_buffers()) if (b.is_floating_point()) b.uniform_(0.5, 1.5);
        using var dst = new TinyDetector(80);
        var sd = Snapshot(src);
        var r = StateDictImporter.LoadInto(dst, sd);
        Assert.Equal(sd.Count, r.Copied.Count);
        Assert.Empty(r.Skipped);
        Assert.Empty(r.Missing);
        foreach (var (k, v) in dst.state_dict()) Assert.True(TensorAssert.Bitwise(v, sd[k]), k);
    }

    [Fact]
    public void Different_classes_keep_fresh_detect_output_convs()
    {
        manual_seed(2);
        using var src = new TinyDetector(80);
        using var dst = new TinyDetector(3);
        var fresh = Snapshot(dst);
        var sd = Snapshot(src);
        var r = StateDictImporter.LoadInto(dst, sd);

        var head = new[] { "model.24.m.0.weight", "model.24.m.0.bias", "model.24.m.1.weight", "model.24.m.1.bias", "model.24.m.2.weight", "model.24.m.2.bias" };
        Assert.Equal(head.Order(), r.Skipped.Select(s => s.Key).Order());
        Assert.Equal(sd.Count - 6, r.Copied.Count);
        Assert.Equal([24L, 8, 1, 1], r.Skipped.Single(s => s.Key == "model.24.m.0.weight").ModelShape);
        var now = dst.state_dict();
        foreach (var k in head) Assert.True(TensorAssert.Bitwise(now[k], fresh[k]), $"{k} changed");
        foreach (var k in r.Copied) Assert.True(TensorAssert.Bitwise(now[k], sd[k]), $"{k} not copied");
        Assert.False(TensorAssert.Bitwise(now["model.0.conv.weight"], fresh["model.0.conv.weight"]));
    }

    [Fact]
    public void Excluded_and_missing_keys_are_reported()
    {
        using var src = new TinyDetector(80);
        using var dst = new TinyDetector(80);
        var sd = Snapshot(src);
        sd.Remove("model.3.bn.running_var");
        sd["extra.weight"] = zeros(1);
        var r = StateDictImporter.LoadInto(dst, sd, exclude: ["num_batches_tracked"]);
        Assert.Equal(["model.3.bn.running_var"], r.Missing);
        Assert.Equal(["extra.weight"], r.Unexpected);
        Assert.Equal(4, r.Excluded.Count);
    }

    [Fact]
    public void Weights_of_another_architecture_are_refused()
    {
        using var small = new TinyDetector(80, width: 8);
        using var wide = new TinyDetector(80, width: 16);
        var e = Assert.Throws<InvalidDataException>(() => StateDictImporter.LoadInto(wide, Snapshot(small), source: "other.pt"));
        Assert.Contains("other.pt", e.Message);
        Assert.Contains("different architecture", e.Message);
    }

    [Fact]
    public void Yolov5n_weights_do_not_fit_an_unrelated_model()
    {
        using var w = WeightsFile.Load(RefData.Require("weights/yolov5n.safetensors"));
        using var tiny = new TinyDetector(80);
        var e = Assert.Throws<InvalidDataException>(() => StateDictImporter.LoadInto(tiny, w));
        Assert.Contains("yolov5n.safetensors", e.Message);
    }
}
