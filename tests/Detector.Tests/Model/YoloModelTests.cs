using TorchSharp;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Weights;
using YoloDistill.Tests;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Model;

public class YoloModelTests(Xunit.Abstractions.ITestOutputHelper log)
{
    static string DTypeName(ScalarType t) => t switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Int64 => "int64",
        _ => t.ToString(),
    };

    [Fact]
    public void State_dict_keys_shapes_and_dtypes_equal_Ultralytics_yolov5n()
    {
        var expected = File.ReadAllLines(RefData.Require("weights/yolov5n_keys.txt"))
            .Where(l => l.Length > 0).ToArray();
        using var model = new YoloModel(ModelConfig.FromName("yolov5n", 80));
        var actual = model.state_dict()
            .Select(kv => $"{kv.Key}\t[{string.Join(", ", kv.Value.shape)}]\t{DTypeName(kv.Value.dtype)}")
            .ToArray();
        Assert.Equal(349, expected.Length);
        Assert.Equal(expected.OrderBy(s => s, StringComparer.Ordinal), actual.OrderBy(s => s, StringComparer.Ordinal));
    }

    [Fact]
    public void Forward_matches_Ultralytics_raw_and_decoded_outputs()
    {
        using var model = ModelFixture.LoadYolov5n();
        using var fx = SafeTensors.Load(RefData.Require("reference/forward_bus.safetensors"));
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var y = model.forward(fx["input"]);
        string[] names = ["p3", "p4", "p5"];
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(fx[names[i]].shape, y.Raw[i].shape);
            // Seen: ~2e-5 (fp32 convolution order differs between libtorch builds).
            var err = (y.Raw[i] - fx[names[i]]).abs().max().item<float>();
            log.WriteLine($"{names[i]} max abs error {err:E2}");
            Assert.True(err <= 1e-4f, $"{names[i]} max abs error {err}");
        }

        // Decoding alone, applied to Ultralytics' own raw outputs, reproduces its pred to fp32 rounding.
        var decodedRef = model.Head.Decode([fx["p3"], fx["p4"], fx["p5"]]);
        var decErr = (decodedRef - fx["pred"]).abs().max().item<float>();
        log.WriteLine($"decode(reference raw) vs pred: max abs error {decErr:E2}");
        Assert.True(decErr <= 1e-5f, $"decoding of the reference raw outputs: max abs error {decErr}");

        // End to end: 1e-3 absolute, plus 1e-5 relative because a 2e-5 logit difference becomes ~1.6e-3 px
        // in the width of a 344 px box ((2*sigmoid)^2 * 373 px anchor).
        Assert.NotNull(y.Decoded);
        Assert.Equal(new long[] { 1, 25200, 85 }, y.Decoded!.shape);
        var pred = fx["pred"];
        var excess = ((y.Decoded - pred).abs() - (pred.abs() * 1e-5 + 1e-3)).max().item<float>();
        Assert.True(excess <= 0, $"pred differs beyond 1e-3 + 1e-5*|pred| (by {excess})");
        var nonBox = (y.Decoded[.., .., 4..] - pred[.., .., 4..]).abs().max().item<float>();
        log.WriteLine($"pred max abs error: boxes {(y.Decoded[.., .., ..4] - pred[.., .., ..4]).abs().max().item<float>():E2} px, obj/cls {nonBox:E2}");
        Assert.True(nonBox <= 1e-4f, $"obj/class probabilities max abs error {nonBox}");
    }

    [Fact]
    public void Fused_model_stays_within_fp32_rounding_of_the_reference()
    {
        using var model = ModelFixture.LoadYolov5n();
        model.Fuse();
        Assert.DoesNotContain(model.state_dict().Keys, k => k.Contains(".bn."));
        Assert.Contains("model.0.conv.bias", model.state_dict().Keys);
        using var fx = SafeTensors.Load(RefData.Require("reference/forward_bus.safetensors"));
        using var _ = no_grad();
        using var y = model.forward(fx["input"]);
        var err = (y.Decoded! - fx["pred"]).abs().max().item<float>();
        var errFused = (y.Decoded! - fx["pred_fused"]).abs().max().item<float>();
        log.WriteLine($"fused pred: vs unfused reference {err:E2}, vs Ultralytics fused {errFused:E2}");
        Assert.True(err <= 3e-3f, $"fused pred vs unfused reference: max abs error {err}");
        // Same weights after folding; what remains is convolution rounding, scaled by box size. Its base is the same 3e-3 px
        // as above (Ultralytics' own fused/unfused gap is 2.6e-3): libtorch's reduction order depends on the threads it
        // gets, and with the other tests running beside it the gap to Ultralytics' fused output reaches 4.5e-3 px.
        var pf = fx["pred_fused"];
        var excess = ((y.Decoded! - pf).abs() - (pf.abs() * 1e-5 + 3e-3)).max().item<float>();
        Assert.True(excess <= 0, $"fused pred vs Ultralytics fused differs beyond 3e-3 + 1e-5*|pred| (by {excess}; max abs {errFused})");
    }

    [Theory]
    [InlineData("yolov5n", 64, 128, 256)]
    [InlineData("yolov5m", 192, 384, 768)]
    [InlineData("yolov5l", 256, 512, 1024)]
    public void The_architecture_table_gives_the_feature_taps_and_their_channels(string model, long p3, long p4, long p5)
    {
        // Ultralytics' parse_model on yolov5{n,m,l}.yaml: the Detect row reads layers 17, 20 and 23.
        Assert.Equal([17, 20, 23], Architecture.FeatureLayers);
        Assert.Equal([p3, p4, p5], Architecture.FeatureChannels(ModelConfig.FromName(model)));
        Assert.Equal(1e-3, Architecture.BnEps);
    }

    [Fact]
    public void Features_are_the_P3_P4_P5_neck_outputs()
    {
        using var model = new YoloModel(ModelConfig.FromName("yolov5n", 80));
        model.eval();
        using var _ = no_grad();
        using var x = rand(1, 3, 640, 640);
        using var y = model.forward(x);
        Assert.Equal(new long[] { 1, 64, 80, 80 }, y.Features[0].shape);
        Assert.Equal(new long[] { 1, 128, 40, 40 }, y.Features[1].shape);
        Assert.Equal(new long[] { 1, 256, 20, 20 }, y.Features[2].shape);
        Assert.Equal(new long[] { 1, 3, 80, 80, 85 }, y.Raw[0].shape);
    }

    [Fact]
    public void Training_mode_gives_raw_outputs_only_and_gradients_flow()
    {
        using var model = new YoloModel(ModelConfig.FromName("yolov5n", 3));
        model.train();
        using var x = rand(2, 3, 128, 96);
        using var y = model.forward(x);
        Assert.Null(y.Decoded);
        Assert.Equal(new long[] { 2, 3, 8, 6, 8 }, y.Raw[1].shape);
        using var loss = y.Raw[0].sum() + y.Raw[1].sum() + y.Raw[2].sum();
        loss.backward();
        var g = model.state_dict().Keys.First();
        Assert.NotNull(model.get_parameter("model.0.conv.weight")?.grad);
        Assert.Equal("model.0.conv.weight", g);
    }

    [Fact]
    public void Other_class_counts_size_the_head_and_initialise_its_biases()
    {
        int nc = 3;
        using var model = new YoloModel(ModelConfig.FromName("yolov5n", nc));
        var convs = model.Head.Convs;
        Assert.Equal(3, convs.Count);
        Assert.All(convs, c => Assert.Equal(new long[] { (5 + nc) * 3, c.weight!.shape[1], 1, 1 }, c.weight!.shape));
        Assert.Equal(new long[] { 64, 128, 256 }, convs.Select(c => c.weight!.shape[1]).ToArray());
        int[] strides = [8, 16, 32];
        for (int i = 0; i < 3; i++)
        {
            var b = convs[i].bias!.view(3, 5 + nc);
            // PyTorch's default bias init is U(-1/sqrt(fan_in), 1/sqrt(fan_in)); the priors are added on top of it.
            double bound = 1 / Math.Sqrt(convs[i].weight!.shape[1]);
            double obj = Math.Log(8.0 / Math.Pow(640.0 / strides[i], 2)), cls = Math.Log(0.6 / (nc - 0.99));
            for (int a = 0; a < 3; a++)
            {
                Assert.InRange(b[a, 4].item<float>(), obj - bound - 1e-6, obj + bound + 1e-6);
                for (int c = 0; c < nc; c++) Assert.InRange(b[a, 5 + c].item<float>(), cls - bound - 1e-6, cls + bound + 1e-6);
                Assert.InRange(b[a, 0].item<float>(), -bound, bound);
            }
        }
        // Anchors buffer in grid units: P5's first anchor (116, 90) / 32.
        Assert.Equal(116f / 32, model.Head.Anchors[2, 0, 0].item<float>(), 6);
        // PyTorch's default Conv2d init (kaiming_uniform, a=sqrt(5)): U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = 3*6*6.
        var w0 = ((Conv)model.Layers[0]).Conv2d.weight!;
        double wb = 1 / Math.Sqrt(108), wmax = w0.abs().max().item<float>();
        Assert.InRange(wmax, 0.95 * wb, wb);
        var bn0 = ((Conv)model.Layers[0]).BatchNorm!;
        Assert.Equal(Conv.BnEps, bn0.eps);
        Assert.Equal(Conv.BnMomentum, bn0.momentum);
    }

    [Fact]
    public void Mismatched_weights_are_refused_naming_the_key()
    {
        using var model = new YoloModel(ModelConfig.FromName("yolov5n", 3));
        using var f = SafeTensors.Load(RefData.Require("weights/yolov5n.safetensors"));
        var e = Assert.Throws<InvalidDataException>(() => model.LoadStateDictStrict(f.Tensors, "yolov5n.safetensors"));
        Assert.Contains("model.24.m.0.weight", e.Message);
    }
}
