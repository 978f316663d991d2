using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Common;

public class BoxOpsTests
{
    [Fact]
    public void Xywh_and_xyxy_convert_both_ways()
    {
        using var scope = NewDisposeScope();
        var xywh = tensor(new float[] { 10, 20, 4, 6, 0, 0, 2, 2 }).view(2, 4);
        var xyxy = BoxOps.XywhToXyxy(xywh);
        Assert.Equal(new float[] { 8, 17, 12, 23, -1, -1, 1, 1 }, xyxy.data<float>().ToArray());
        Assert.Equal(xywh.data<float>().ToArray(), BoxOps.XyxyToXywh(xyxy).data<float>().ToArray());
    }

    [Fact]
    public void BoxIou_is_the_pairwise_matrix()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 0, 0, 2, 2, 0, 0, 1, 1 }).view(2, 4);
        var b = tensor(new float[] { 1, 1, 3, 3, 0, 0, 2, 2, 5, 5, 6, 6 }).view(3, 4);
        var iou = BoxOps.BoxIou(a, b);
        Assert.Equal(new long[] { 2, 3 }, iou.shape);
        var v = iou.data<float>().ToArray();
        Assert.Equal(1 / 7f, v[0], 6);
        Assert.Equal(1f, v[1], 6);
        Assert.Equal(0f, v[2]);
        Assert.Equal(0f, v[3]);        // touching at a corner only
        Assert.Equal(0.25f, v[4], 6);
    }

    [Fact]
    public void BboxIou_variants_match_hand_computed_values()
    {
        using var scope = NewDisposeScope();
        // Same shape, offset by (1, 1): inter 1, union 7, enclosing 3x3, centre distance^2 = 2.
        var b1 = tensor(new float[] { 0, 0, 2, 2 }).view(1, 4);
        var b2 = tensor(new float[] { 1, 1, 3, 3 }).view(1, 4);
        double iou = 1.0 / 7;
        Assert.Equal(iou, BoxOps.BboxIou(b1, b2, xywh: false).item<float>(), 5);
        Assert.Equal(iou - 2.0 / 9, BoxOps.BboxIou(b1, b2, xywh: false, kind: IouKind.GIoU).item<float>(), 5);
        Assert.Equal(iou - 2.0 / 18, BoxOps.BboxIou(b1, b2, xywh: false, kind: IouKind.DIoU).item<float>(), 5);
        Assert.Equal(iou - 2.0 / 18, BoxOps.BboxIou(b1, b2, xywh: false, kind: IouKind.CIoU).item<float>(), 5);

        // Crossed 2x1 and 1x2 boxes (xywh), same centre: the aspect term v carries CIoU.
        var c1 = tensor(new float[] { 0, 0, 2, 1 }).view(1, 4);
        var c2 = tensor(new float[] { 0, 0, 1, 2 }).view(1, 4);
        double i2 = 1.0 / 3;
        double v = 4 / (Math.PI * Math.PI) * Math.Pow(Math.Atan(0.5) - Math.Atan(2.0), 2);
        double alpha = v / (v - i2 + 1);
        Assert.Equal(i2 - v * alpha, BoxOps.BboxIou(c1, c2, kind: IouKind.CIoU).item<float>(), 5);
        Assert.Equal(new long[] { 1, 1 }, BoxOps.BboxIou(c1, c2).shape);
    }

    [Fact]
    public void CIoU_of_identical_boxes_is_one_with_finite_gradients()
    {
        using var scope = NewDisposeScope();
        // For 71 of these 1000 boxes the IoU with themselves rounds to exactly 1 + eps in float32, where Ultralytics'
        // alpha is 0 / 0.
        using var g = new Generator(1);
        var b = cat([rand([1000, 2], generator: g) * 10, rand([1000, 2], generator: g) * 5 + 0.1], 1).requires_grad_();
        var ciou = BoxOps.BboxIou(b, b.detach(), kind: IouKind.CIoU);
        Assert.False(ciou.isnan().any().item<bool>());
        Assert.InRange(ciou.min().item<float>(), 0.9999, 1.0001);
        ciou.sum().backward();
        Assert.False(b.grad!.isnan().any().item<bool>());
    }

    [Fact]
    public void CIoU_alpha_carries_no_gradient()
    {
        using var scope = NewDisposeScope();
        var w = tensor(new float[] { 2 }, requires_grad: true);
        var box1 = cat(new[] { zeros(1), zeros(1), w, ones(1) }).view(1, 4);
        var box2 = tensor(new float[] { 0, 0, 1, 2 }).view(1, 4);
        BoxOps.BboxIou(box1, box2, kind: IouKind.CIoU).sum().backward();
        // d/dw of iou - v*alpha with alpha held constant: iou = 1/(w+2-1) -> -1/(w+1)^2; v = k(atan(1/2) - atan(w))^2.
        double ww = 2, k = 4 / (Math.PI * Math.PI), d = Math.Atan(0.5) - Math.Atan(ww);
        double v = k * d * d, iou = 1 / (ww + 1), alpha = v / (v - iou + 1);
        double dv = k * 2 * d * (-1 / (1 + ww * ww));
        double expected = -1 / ((ww + 1) * (ww + 1)) - alpha * dv;
        Assert.Equal(expected, w.grad!.item<float>(), 5);
    }

    [Fact]
    public void ScaleBoxes_undoes_the_bus_letterbox()
    {
        using var scope = NewDisposeScope();
        // bus.jpg 1080x810 letterboxed into 640x640: gain 0.5926, 80 px padding left and right.
        var boxes = tensor(new float[] { 80, 0, 560, 640, 0.9f, 5, 100, 50, 200, 150, 0.5f, 0, 0, -10, 700, 650, 0.1f, 2 }).view(3, 6);
        double g = 640.0 / 1080;
        var expected = new[] { 0, 0, 810, 1080, 0.9f, 5, (float)(20 / g), (float)(50 / g), (float)(120 / g), (float)(150 / g), 0.5f, 0, 0, 0, 810, 1080, 0.1f, 2 };
        var derived = BoxOps.ScaleBoxes(boxes, 640, 640, 1080, 810).data<float>().ToArray();
        var recorded = BoxOps.ScaleBoxes(boxes, 640, 640, new ImageShape(1080, 810, g, g, 80, 0)).data<float>().ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], derived[i], 3);
            Assert.Equal(expected[i], recorded[i], 3);
        }
        // Plain (n, 4) boxes work too, and an empty set stays empty.
        var four = BoxOps.ScaleBoxes(boxes.narrow(1, 0, 4), 640, 640, 1080, 810);
        Assert.Equal(new long[] { 3, 4 }, four.shape);
        Assert.Equal(new float[] { 0, 0, 810, 1080 }, four[0].data<float>().ToArray());
        Assert.Equal(new long[] { 0, 6 }, BoxOps.ScaleBoxes(zeros(0, 6), 640, 640, 1080, 810).shape);
    }
}
