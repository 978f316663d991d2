namespace YoloDistill.Detector.Data;

/// <summary>
/// numpy's default argsort (kind='quicksort': introsort, median-of-3 partitions, insertion sort below 16 elements,
/// heapsort past the depth limit) for float64, step for step. It is not stable; reproducing its order of ties matters
/// because rect batches are cut from the sorted list, so tied images on a batch boundary decide which batch shape
/// (and so which letterbox padding) an image gets.
/// </summary>
public static class NumpyArgsort
{
    const int SmallQuicksort = 15;

    static bool Less(double a, double b) => a < b || (double.IsNaN(b) && !double.IsNaN(a)); // NaNs sort last, as numpy's

    public static int[] Quicksort(IReadOnlyList<double> v)
    {
        int num = v.Count;
        var tosort = new int[num];
        for (int i = 0; i < num; i++) tosort[i] = i;
        if (num < 2) return tosort;
        var stack = new Stack<(int Pl, int Pr, int Depth)>();
        int pl = 0, pr = num - 1;
        int cdepth = MostSignificantBit(num) * 2;
        while (true)
        {
            if (cdepth < 0)
            {
                HeapSort(v, tosort, pl, pr - pl + 1);
            }
            else
            {
                while (pr - pl > SmallQuicksort)
                {
                    int pm = pl + ((pr - pl) >> 1);
                    if (Less(v[tosort[pm]], v[tosort[pl]])) Swap(tosort, pm, pl);
                    if (Less(v[tosort[pr]], v[tosort[pm]])) Swap(tosort, pr, pm);
                    if (Less(v[tosort[pm]], v[tosort[pl]])) Swap(tosort, pm, pl);
                    double vp = v[tosort[pm]];
                    int pi = pl, pj = pr - 1;
                    Swap(tosort, pm, pj);
                    while (true)
                    {
                        do ++pi; while (Less(v[tosort[pi]], vp));
                        do --pj; while (Less(vp, v[tosort[pj]]));
                        if (pi >= pj) break;
                        Swap(tosort, pi, pj);
                    }
                    Swap(tosort, pi, pr - 1);
                    // the larger partition waits on the stack
                    if (pi - pl < pr - pi)
                    {
                        stack.Push((pi + 1, pr, --cdepth));
                        pr = pi - 1;
                    }
                    else
                    {
                        stack.Push((pl, pi - 1, --cdepth));
                        pl = pi + 1;
                    }
                }
                for (int pi = pl + 1; pi <= pr; ++pi)
                {
                    int vi = tosort[pi];
                    double vp = v[vi];
                    int pj = pi, pk = pi - 1;
                    while (pj > pl && Less(vp, v[tosort[pk]])) tosort[pj--] = tosort[pk--];
                    tosort[pj] = vi;
                }
            }
            if (stack.Count == 0) break;
            (pl, pr, cdepth) = stack.Pop();
        }
        return tosort;
    }

    static int MostSignificantBit(int n)
    {
        int depth = 0;
        while ((n >>= 1) != 0) depth++;
        return depth;
    }

    static void Swap(int[] a, int i, int j) => (a[i], a[j]) = (a[j], a[i]);

    /// <summary>numpy's aheapsort over tosort[start .. start+n), 1-based heap as in npysort/heapsort.cpp.</summary>
    static void HeapSort(IReadOnlyList<double> v, int[] tosort, int start, int n)
    {
        int A(int i) => tosort[start + i - 1];
        void Set(int i, int val) => tosort[start + i - 1] = val;
        int tmp, i2, j, l;
        for (l = n >> 1; l > 0; --l)
        {
            tmp = A(l);
            for (i2 = l, j = l << 1; j <= n;)
            {
                if (j < n && Less(v[A(j)], v[A(j + 1)])) j += 1;
                if (Less(v[tmp], v[A(j)])) { Set(i2, A(j)); i2 = j; j += j; }
                else break;
            }
            Set(i2, tmp);
        }
        for (; n > 1;)
        {
            tmp = A(n);
            Set(n, A(1));
            n -= 1;
            for (i2 = 1, j = 2; j <= n;)
            {
                if (j < n && Less(v[A(j)], v[A(j + 1)])) j++;
                if (Less(v[tmp], v[A(j)])) { Set(i2, A(j)); i2 = j; j += j; }
                else break;
            }
            Set(i2, tmp);
        }
    }
}
