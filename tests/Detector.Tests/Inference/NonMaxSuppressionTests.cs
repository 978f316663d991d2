using YoloDistill.Detector.Inference;
using YoloDistill.Detector.Weights;
using YoloDistill.Tests;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Inference;

public class NonMaxSuppressionTests
{
    [Fact]
    public void Bus_predictions_give_ultralytics_detections()
    {
        using var file = SafeTensors.Load(RefData.Require("reference/forward_bus.safetensors"));
        using var scope = NewDisposeScope();
        var dets = NonMaxSuppression.Run(file["pred"], new NmsOptions(0.25, 0.45));
        Assert.Single(dets);
        var expected = file["dets"];
        Assert.Equal(new long[] { 4, 6 }, dets[0].shape);
        var a = dets[0].data<float>().ToArray();
        var e = expected.data<float>().ToArray();
        for (int r = 0; r < 4; r++)
        {
            for (int c = 0; c < 4; c++)
                Assert.True(Math.Abs(a[r * 6 + c] - e[r * 6 + c]) < 0.05, $"row {r} coord {c}: {a[r * 6 + c]} vs {e[r * 6 + c]}");
            Assert.True(Math.Abs(a[r * 6 + 4] - e[r * 6 + 4]) < 1e-4, $"row {r} conf: {a[r * 6 + 4]} vs {e[r * 6 + 4]}");
            Assert.Equal(e[r * 6 + 5], a[r * 6 + 5]);
        }
    }

    [Theory]
    [InlineData(0.45, 300, 1)]
    [InlineData(0.6, 3000, 2)]
    [InlineData(0.3, 3000, 3)]
    [InlineData(0.0, 3000, 4)]
    public void Greedy_nms_equals_a_naive_greedy_loop(double thr, int count, int seed)
    {
        using var scope = NewDisposeScope();
        var rng = new Random(seed);
        // Clustered boxes so that suppression chains are long and cross the 512-box blocks.
        var boxes = new float[count * 4];
        for (int i = 0; i < count; i++)
        {
            float cx = rng.Next(0, 8) * 40 + (float)rng.NextDouble() * 30, cy = rng.Next(0, 8) * 40 + (float)rng.NextDouble() * 30;
            float w = 10 + (float)rng.NextDouble() * 40, h = 10 + (float)rng.NextDouble() * 40;
            boxes[i * 4] = cx - w / 2; boxes[i * 4 + 1] = cy - h / 2; boxes[i * 4 + 2] = cx + w / 2; boxes[i * 4 + 3] = cy + h / 2;
        }
        var expected = NaiveGreedy(boxes, count, thr);
        var actual = GreedyNms.SortedKeep(tensor(boxes).view(count, 4), thr, long.MaxValue).data<long>().ToArray();
        Assert.True(expected.Count > 1);
        Assert.Equal(expected, actual.Select(i => (int)i).ToList());
        var limited = GreedyNms.SortedKeep(tensor(boxes).view(count, 4), thr, 7).data<long>().ToArray();
        Assert.Equal(expected.Take(7), limited.Select(i => (int)i));
    }

    [Fact]
    public void Threshold_compares_float_iou_with_the_double_threshold()
    {
        using var scope = NewDisposeScope();
        // 0.45 as float is 0.44999999 (< 0.45): a float IoU equal to it is not above 0.45, the next float is.
        float f = 0.45f, next = MathF.BitIncrement(f);
        Assert.Equal(new[] { false, true }, GreedyNms.Above(tensor(new[] { f, next }), 0.45).data<bool>().ToArray());
        // 0.3 as float is 0.30000001 (> 0.3), so a float IoU equal to it is above 0.3, the float below it is not.
        Assert.Equal(new[] { true }, GreedyNms.Above(tensor(new[] { 0.3f }), 0.3).data<bool>().ToArray());
        Assert.Equal(new[] { false }, GreedyNms.Above(tensor(new[] { MathF.BitDecrement(0.3f) }), 0.3).data<bool>().ToArray());
    }

    /// <summary>torchvision's CPU kernel: float32 IoU = inter / (area_i + area_j - inter), suppress when &gt; thr.</summary>
    static List<int> NaiveGreedy(float[] b, int n, double thr)
    {
        var suppressed = new bool[n];
        var keep = new List<int>();
        for (int i = 0; i < n; i++)
        {
            if (suppressed[i]) continue;
            keep.Add(i);
            float ia = (b[i * 4 + 2] - b[i * 4]) * (b[i * 4 + 3] - b[i * 4 + 1]);
            for (int j = i + 1; j < n; j++)
            {
                if (suppressed[j]) continue;
                float ja = (b[j * 4 + 2] - b[j * 4]) * (b[j * 4 + 3] - b[j * 4 + 1]);
                float w = Math.Max(0f, Math.Min(b[i * 4 + 2], b[j * 4 + 2]) - Math.Max(b[i * 4], b[j * 4]));
                float h = Math.Max(0f, Math.Min(b[i * 4 + 3], b[j * 4 + 3]) - Math.Max(b[i * 4 + 1], b[j * 4 + 1]));
                float inter = w * h;
                float ovr = inter / (ia + ja - inter);
                if (ovr > thr) suppressed[j] = true;
            }
        }
        return keep;
    }

    /// <summary>Decoded predictions (1, n, 5 + nc) from rows cx, cy, w, h, obj, class probs.</summary>
    static Tensor Pred(params float[][] rows) =>
        tensor(rows.SelectMany(r => r).ToArray()).view(1, rows.Length, rows[0].Length);

    [Fact]
    public void Agnostic_mode_suppresses_across_classes()
    {
        using var scope = NewDisposeScope();
        // Two heavily overlapping boxes of different classes, and a third far away.
        var pred = Pred(
            [100, 100, 50, 50, 0.9f, 0.9f, 0.1f, 0.0f],
            [102, 101, 50, 50, 0.8f, 0.1f, 0.9f, 0.0f],
            [300, 300, 40, 40, 0.9f, 0.0f, 0.0f, 0.7f]);
        var perClass = NonMaxSuppression.Run(pred, new NmsOptions())[0];
        var agnostic = NonMaxSuppression.Run(pred, new NmsOptions(Agnostic: true))[0];
        Assert.Equal(3, perClass.shape[0]);
        Assert.Equal(2, agnostic.shape[0]);
        Assert.Equal(new float[] { 0, 2 }, agnostic.select(1, 5).data<float>().ToArray());
        // Rows are x1 y1 x2 y2 conf cls, conf = obj * cls, ordered by confidence.
        Assert.Equal(new float[] { 75, 75, 125, 125, 0.9f * 0.9f, 0 }, perClass[0].data<float>().ToArray());
        var conf = perClass.select(1, 4).data<float>().ToArray();
        Assert.Equal(new[] { 0.81, 0.72, 0.63 }, conf.Select(c => Math.Round(c, 5)));
    }

    [Fact]
    public void Multi_label_mode_emits_one_row_per_class_above_threshold()
    {
        using var scope = NewDisposeScope();
        var pred = Pred(
            [100, 100, 50, 50, 0.9f, 0.8f, 0.6f, 0.1f],
            [400, 100, 50, 50, 0.2f, 0.9f, 0.9f, 0.9f]);           // objectness below 0.25: never a candidate
        var best = NonMaxSuppression.Run(pred, new NmsOptions())[0];
        var multi = NonMaxSuppression.Run(pred, new NmsOptions(MultiLabel: true))[0];
        Assert.Equal(1, best.shape[0]);
        Assert.Equal(2, multi.shape[0]);
        Assert.Equal(new float[] { 0, 1 }, multi.select(1, 5).data<float>().ToArray());
        Assert.Equal(0.9f * 0.6f, multi[1, 4].item<float>());
        var only1 = NonMaxSuppression.Run(pred, new NmsOptions(MultiLabel: true, Classes: [1]))[0];
        Assert.Equal(1, only1.shape[0]);
        Assert.Equal(1f, only1[0, 5].item<float>());
    }

    [Fact]
    public void Max_det_keeps_the_highest_confidence_detections()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var xy = rand(1, 500, 2) * 600;
        var wh = rand(1, 500, 2) * 20 + 5;
        var rest = rand(1, 500, 1 + 10);
        var pred = cat(new[] { xy, wh, rest }, 2);
        var all = NonMaxSuppression.Run(pred, new NmsOptions(0.1, 0.45))[0];
        var five = NonMaxSuppression.Run(pred, new NmsOptions(0.1, 0.45, MaxDet: 5))[0];
        Assert.True(all.shape[0] > 5);
        Assert.Equal(5, five.shape[0]);
        Assert.Equal(all.narrow(0, 0, 5).data<float>().ToArray(), five.data<float>().ToArray());
        var defaultCap = NonMaxSuppression.Run(cat(new[] { xy, wh, ones(1, 500, 11) }, 2), new NmsOptions())[0];
        Assert.True(defaultCap.shape[0] <= 300);
    }

    [Fact]
    public void Empty_inputs_give_empty_detections()
    {
        using var scope = NewDisposeScope();
        var none = NonMaxSuppression.Run(zeros(2, 0, 85), new NmsOptions());
        Assert.Equal(2, none.Length);
        Assert.All(none, d => Assert.Equal(new long[] { 0, 6 }, d.shape));
        var low = NonMaxSuppression.Run(full(1, 10, 85, 0.1f), new NmsOptions());
        Assert.Equal(new long[] { 0, 6 }, low[0].shape);
    }

    [Fact]
    public void Invalid_options_are_rejected()
    {
        using var scope = NewDisposeScope();
        var pred = zeros(1, 1, 85);
        Assert.Throws<ArgumentException>(() => NonMaxSuppression.Run(pred, new NmsOptions(ConfThres: 1.5)));
        Assert.Throws<ArgumentException>(() => NonMaxSuppression.Run(pred, new NmsOptions(IouThres: -0.1)));
        Assert.Throws<ArgumentException>(() => NonMaxSuppression.Run(zeros(10, 85), new NmsOptions()));
    }
}
