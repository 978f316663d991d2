namespace YoloDistill.Detector.Evaluation;

/// <summary>
/// The few numpy primitives the reference metrics are built from, reproduced operation by operation in float64 so
/// results agree with pycocotools / Ultralytics to the last bit (summation order matters at that level).
/// </summary>
public static class NumpyMath
{
    /// <summary>np.linspace(start, stop, num): i * step + start, with the last point set to stop exactly.</summary>
    public static double[] Linspace(double start, double stop, int num)
    {
        var y = new double[num];
        if (num == 1) { y[0] = start; return y; }
        double step = (stop - start) / (num - 1);
        for (int i = 0; i < num; i++) y[i] = i * step + start;
        y[num - 1] = stop;
        return y;
    }

    /// <summary>numpy's pairwise summation (np.sum / np.mean over a contiguous float64 vector).</summary>
    public static double PairwiseSum(ReadOnlySpan<double> a)
    {
        int n = a.Length;
        if (n < 8)
        {
            double res = 0.0;
            for (int i = 0; i < n; i++) res += a[i];
            return res;
        }
        if (n <= 128)
        {
            double r0 = a[0], r1 = a[1], r2 = a[2], r3 = a[3], r4 = a[4], r5 = a[5], r6 = a[6], r7 = a[7];
            int i = 8;
            for (; i < n - (n % 8); i += 8)
            {
                r0 += a[i]; r1 += a[i + 1]; r2 += a[i + 2]; r3 += a[i + 3];
                r4 += a[i + 4]; r5 += a[i + 5]; r6 += a[i + 6]; r7 += a[i + 7];
            }
            double res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
            for (; i < n; i++) res += a[i];
            return res;
        }
        int n2 = n / 2;
        n2 -= n2 % 8;
        return PairwiseSum(a[..n2]) + PairwiseSum(a[n2..]);
    }

    /// <summary>np.mean of a float64 vector (pairwise sum divided by the count); NaN for an empty vector as numpy.</summary>
    public static double Mean(ReadOnlySpan<double> a) => a.Length == 0 ? double.NaN : (0.0 + PairwiseSum(a)) / a.Length;

    /// <summary>
    /// np.interp(x, xp, fp, left, right) for non-decreasing xp, including numpy's choice of segment (last xp[j] &lt;= x)
    /// and its exact-hit and NaN fallbacks.
    /// </summary>
    public static double[] Interp(ReadOnlySpan<double> x, ReadOnlySpan<double> xp, ReadOnlySpan<double> fp, double? left = null, double? right = null)
    {
        int n = xp.Length;
        if (n == 0) throw new ArgumentException("np.interp: xp is empty");
        double lval = left ?? fp[0], rval = right ?? fp[n - 1];
        var res = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double xv = x[i];
            if (double.IsNaN(xv)) { res[i] = xv; continue; }
            if (xv < xp[0]) { res[i] = lval; continue; }
            if (xv > xp[n - 1]) { res[i] = rval; continue; }
            int j = LastNotAbove(xp, xv);
            if (j == n - 1 || xp[j] == xv) { res[i] = fp[j]; continue; }
            double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
            double v = slope * (xv - xp[j]) + fp[j];
            if (double.IsNaN(v))
            {
                v = slope * (xv - xp[j + 1]) + fp[j + 1];
                if (double.IsNaN(v) && fp[j] == fp[j + 1]) v = fp[j];
            }
            res[i] = v;
        }
        return res;
    }

    /// <summary>Index of the last element &lt;= key in a sorted span whose first element is &lt;= key.</summary>
    static int LastNotAbove(ReadOnlySpan<double> a, double key)
    {
        int lo = 0, hi = a.Length;
        while (lo < hi)
        {
            int mid = lo + ((hi - lo) >> 1);
            if (key >= a[mid]) lo = mid + 1; else hi = mid;
        }
        return lo - 1;
    }

    /// <summary>np.trapz(y, x): sum of diff(x) * (y[1:] + y[:-1]) / 2 with numpy's pairwise summation.</summary>
    public static double Trapz(ReadOnlySpan<double> y, ReadOnlySpan<double> x)
    {
        if (y.Length < 2) return 0.0;
        var terms = new double[y.Length - 1];
        for (int i = 0; i < terms.Length; i++) terms[i] = (x[i + 1] - x[i]) * (y[i + 1] + y[i]) / 2.0;
        return PairwiseSum(terms);
    }

    /// <summary>np.searchsorted(a, v, side='left') for sorted a and sorted v: first index with a[i] &gt;= v[j].</summary>
    public static void SearchSortedLeft(ReadOnlySpan<double> a, ReadOnlySpan<double> v, Span<int> result)
    {
        int i = 0;
        for (int j = 0; j < v.Length; j++)
        {
            while (i < a.Length && a[i] < v[j]) i++;
            result[j] = i;
        }
    }
}
