using YoloDistill.Detector.Common;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Inference;

/// <summary>
/// Ultralytics v7.0 utils/general.py non_max_suppression on decoded predictions (bs, N, 5 + nc) = cx, cy, w, h, obj,
/// class probabilities: objectness filter, conf = obj * cls, best class or multi-label, class filter, top max_nms by
/// confidence, per-class offsets, greedy NMS, at most max_det per image.
/// </summary>
public static class NonMaxSuppression
{
    /// <summary>One (n, 6) tensor per image: x1, y1, x2, y2, conf, cls, ordered by descending confidence.</summary>
    public static Tensor[] Run(Tensor pred, NmsOptions o)
    {
        o.Validate();
        if (pred.dim() != 3 || pred.shape[2] < 6)
            throw new ArgumentException($"NMS expects predictions (batch, boxes, 5 + classes); got [{string.Join(", ", pred.shape)}].");
        long bs = pred.shape[0];
        var output = new Tensor[bs];
        for (long b = 0; b < bs; b++)
        {
            using var scope = NewDisposeScope();
            output[b] = scope.MoveToOuter(Image(pred[b], o));
        }
        return output;
    }

    static Tensor Image(Tensor x, NmsOptions o)
    {
        long nc = x.shape[1] - 5;
        var device = x.device;
        x = x[x.select(1, 4) > o.ConfThres];                              // objectness candidates
        if (x.shape[0] == 0) return Empty(device);

        var cls = x.narrow(1, 5, nc) * x.narrow(1, 4, 1);                 // conf = obj * cls
        var box = BoxOps.XywhToXyxy(x.narrow(1, 0, 4));
        Tensor det;
        if (o.MultiLabel && nc > 1)
        {
            var ij = (cls > o.ConfThres).nonzero();
            var i = ij.select(1, 0);
            var j = ij.select(1, 1);
            det = cat(new[] { box.index_select(0, i), cls.index(i, j).unsqueeze(1), j.unsqueeze(1).to_type(x.dtype) }, 1);
        }
        else
        {
            var (conf, j) = cls.max(1, keepdim: true);
            det = cat(new[] { box, conf, j.to_type(x.dtype) }, 1)[conf.view(-1) > o.ConfThres];
        }

        if (o.Classes is { } classes)
        {
            var wanted = tensor(classes.Select(c => (float)c).ToArray(), device: device).to_type(det.dtype);
            det = det[(det.narrow(1, 5, 1) == wanted).any(1)];
        }
        long n = det.shape[0];
        if (n == 0) return Empty(device);

        // Stable descending sort, as torch's CPU sort and torchvision's NMS order ties.
        var order = det.select(1, 4).sort(0, descending: true, stable: true).Indices;
        if (n > o.MaxNms) order = order.narrow(0, 0, o.MaxNms);
        det = det.index_select(0, order);

        var offsetBoxes = o.Agnostic ? det.narrow(1, 0, 4) : det.narrow(1, 0, 4) + det.narrow(1, 5, 1) * o.MaxWh;
        var keep = GreedyNms.SortedKeep(offsetBoxes, o.IouThres, o.MaxDet);
        return det.index_select(0, keep);
    }

    static Tensor Empty(Device device) => zeros(new long[] { 0, 6 }, device: device);
}
