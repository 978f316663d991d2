namespace YoloDistill.Detector.Evaluation;

/// <summary>
/// np.argsort(-score, kind='mergesort') on index arrays: score descending, equal scores keep their input order.
/// A merge sort on indices with no delegate calls, since the evaluator sorts every image and category.
/// </summary>
internal static class StableSort
{
    /// <summary>Sorts idx[0..n) in place by score[idx] descending, stable; tmp needs n entries.</summary>
    public static void ByScoreDescending(Span<int> idx, double[] score, Span<int> tmp)
    {
        int n = idx.Length;
        if (n < 2) return;
        if (n <= 24)
        {
            for (int i = 1; i < n; i++)
            {
                int v = idx[i];
                double s = score[v];
                int j = i - 1;
                // -s < -score[j] is score[j] < s: move only strictly lower scores, keeping ties in order.
                while (j >= 0 && -s < -score[idx[j]]) { idx[j + 1] = idx[j]; j--; }
                idx[j + 1] = v;
            }
            return;
        }
        int h = n / 2;
        ByScoreDescending(idx[..h], score, tmp[..h]);
        ByScoreDescending(idx[h..], score, tmp[h..]);
        if (!(-score[idx[h]] < -score[idx[h - 1]])) return; // already in order
        idx.CopyTo(tmp);
        int a = 0, b = h, k = 0;
        while (a < h && b < n)
            idx[k++] = -score[tmp[b]] < -score[tmp[a]] ? tmp[b++] : tmp[a++];
        while (a < h) idx[k++] = tmp[a++];
        while (b < n) idx[k++] = tmp[b++];
    }
}
