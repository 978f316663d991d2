namespace YoloDistill.Detector.Data;

/// <summary>
/// LoadImagesAndLabels(rect=True): images sorted by aspect ratio h/w, and per batch the shape
/// ceil([h, w] · img / stride + pad) · stride where [h, w] = [max ar, 1] if all ar &lt; 1, [1, 1/min ar] if all &gt; 1, else [1, 1].
/// </summary>
public static class RectBatches
{
    /// <summary>Dataset indices in the order rect mode visits them, and the (height, width) of each batch.</summary>
    public static (int[] Order, (int H, int W)[] Shapes) Compute(IReadOnlyList<(int Width, int Height)> sizes, int batchSize, int imgSize, int stride, double pad)
    {
        int n = sizes.Count;
        var ar = new double[n];
        for (int i = 0; i < n; i++) ar[i] = (double)sizes[i].Height / sizes[i].Width;
        // numpy's (unstable) argsort order: tied images on a batch boundary land in the batch Ultralytics puts them in,
        // and so get the same batch shape and padding.
        var order = NumpyArgsort.Quicksort(ar);
        int nb = (n + batchSize - 1) / batchSize;
        var shapes = new (int, int)[nb];
        for (int b = 0; b < nb; b++)
        {
            double mini = double.MaxValue, maxi = double.MinValue;
            for (int k = b * batchSize; k < Math.Min(n, (b + 1) * batchSize); k++)
            {
                mini = Math.Min(mini, ar[order[k]]);
                maxi = Math.Max(maxi, ar[order[k]]);
            }
            double sh = 1, sw = 1;
            if (maxi < 1) sh = maxi;
            else if (mini > 1) sw = 1 / mini;
            shapes[b] = ((int)Math.Ceiling(sh * imgSize / stride + pad) * stride, (int)Math.Ceiling(sw * imgSize / stride + pad) * stride);
        }
        return (order, shapes);
    }
}
