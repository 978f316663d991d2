using TorchSharp;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Evaluation;

/// <summary>
/// val.py's process_batch: which detections are correct at each IoU threshold. Arithmetic is float32 as in PyTorch
/// (box_iou with eps 1e-7, thresholds from torch.linspace). The selection reproduces the reference's sort-and-unique
/// steps without sorting: per detection the class-matching label of highest IoU (ties to the higher label index, as
/// the reversed argsort orders them), then per label the detection of lowest index (the reference de-duplicates labels
/// after re-ordering by detection index, not by IoU).
/// </summary>
public static class DetectionMatcher
{
    /// <summary>iouv = torch.linspace(0.5, 0.95, 10) as libtorch computes it in float32.</summary>
    public static float[] DefaultIouv { get; } = ComputeIouv();

    static float[] ComputeIouv()
    {
        using var t = torch.linspace(0.5, 0.95, 10, dtype: ScalarType.Float32);
        return t.data<float>().ToArray();
    }

    /// <summary>torch box_iou(box1, box2) for xyxy boxes in float32: (n1 x n2) row-major.</summary>
    public static float[] BoxIou(ReadOnlySpan<float> box1, int n1, int stride1, int offset1, ReadOnlySpan<float> box2, int n2, int stride2, int offset2)
    {
        var iou = new float[n1 * n2];
        const float eps = 1e-7f;
        for (int i = 0; i < n1; i++)
        {
            int a = i * stride1 + offset1;
            float ax1 = box1[a], ay1 = box1[a + 1], ax2 = box1[a + 2], ay2 = box1[a + 3];
            float areaA = (ax2 - ax1) * (ay2 - ay1);
            for (int j = 0; j < n2; j++)
            {
                int b = j * stride2 + offset2;
                float bx1 = box2[b], by1 = box2[b + 1], bx2 = box2[b + 2], by2 = box2[b + 3];
                float w = ClampMin0(MathF.Min(ax2, bx2) - MathF.Max(ax1, bx1));
                float h = ClampMin0(MathF.Min(ay2, by2) - MathF.Max(ay1, by1));
                float inter = w * h;
                float areaB = (bx2 - bx1) * (by2 - by1);
                iou[i * n2 + j] = inter / (areaA + areaB - inter + eps);
            }
        }
        return iou;
    }

    static float ClampMin0(float v) => v < 0f ? 0f : v; // torch.clamp(min=0) keeps NaN

    /// <summary>
    /// correct[n_det, iouv.Length] (row-major) for detections (n x 6: x1, y1, x2, y2, conf, cls) and labels
    /// (m x 5: cls, x1, y1, x2, y2), both in the same pixel frame.
    /// </summary>
    public static bool[] Process(ReadOnlySpan<float> detections, ReadOnlySpan<float> labels, float[]? iouv = null)
    {
        iouv ??= DefaultIouv;
        int n = detections.Length / 6, m = labels.Length / 5, T = iouv.Length;
        var correct = new bool[n * T];
        if (n == 0 || m == 0) return correct;
        var iou = BoxIou(labels, m, 5, 1, detections, n, 6, 0); // (m x n) as box_iou(labels, detections)
        var bestLabel = new int[n];
        var bestIou = new float[n];
        for (int d = 0; d < n; d++)
        {
            bestLabel[d] = -1;
            float cls = detections[d * 6 + 5];
            for (int l = 0; l < m; l++)
            {
                if (labels[l * 5] != cls) continue;
                float v = iou[l * n + d];
                if (float.IsNaN(v)) continue; // never >= a threshold
                if (bestLabel[d] < 0 || v >= bestIou[d]) { bestIou[d] = v; bestLabel[d] = l; }
            }
        }
        var taken = new bool[m];
        for (int t = 0; t < T; t++)
        {
            Array.Clear(taken);
            for (int d = 0; d < n; d++)
            {
                int l = bestLabel[d];
                if (l < 0 || !(bestIou[d] >= iouv[t]) || taken[l]) continue;
                taken[l] = true;
                correct[d * T + t] = true;
            }
        }
        return correct;
    }

    /// <summary>Tensor form: detections (n, 6), labels (m, 5) -> bool (n, 10) on the CPU.</summary>
    public static Tensor Process(Tensor detections, Tensor labels, float[]? iouv = null)
    {
        iouv ??= DefaultIouv;
        using var d = detections.detach().to(ScalarType.Float32).cpu().contiguous();
        using var l = labels.detach().to(ScalarType.Float32).cpu().contiguous();
        var c = Process(d.data<float>().ToArray(), l.data<float>().ToArray(), iouv);
        return torch.tensor(c, dtype: ScalarType.Bool).reshape(detections.shape[0], iouv.Length);
    }
}
