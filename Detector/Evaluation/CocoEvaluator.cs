namespace YoloDistill.Detector.Evaluation;

/// <summary>
/// pycocotools' COCOeval for iouType 'bbox' (evaluate, accumulate, summarize), reproduced step for step in float64:
/// same sort orders (stable, score descending), same greedy matching, same precision envelope and recall-threshold
/// lookup. Categories are independent, so they are evaluated in parallel; the per-image work is array scans.
/// </summary>
public sealed class CocoEvaluator(CocoEvalParams? parameters = null)
{
    /// <summary>np.spacing(1), added to the precision denominator by pycocotools.</summary>
    const double Spacing1 = 2.220446049250313e-16;
    const byte Ignored = 0, TruePositive = 1, FalsePositive = 2;

    public CocoEvalParams Params { get; } = parameters ?? new CocoEvalParams();

    /// <summary>Loads both files and evaluates them.</summary>
    public CocoEvalResult Evaluate(string annotationsJson, string detectionsJson)
    {
        var gt = CocoGroundTruth.Load(annotationsJson);
        return Evaluate(gt, CocoDetections.Load(detectionsJson, gt));
    }

    public CocoEvalResult Evaluate(CocoGroundTruth gt, CocoBoxes dt)
    {
        var p = Params;
        int K = gt.Categories.Length, I = gt.ImageIds.Length;
        var precision = new double[p.T * p.R * K * p.A * p.M];
        var recall = new double[p.T * K * p.A * p.M];
        Array.Fill(precision, -1.0);
        Array.Fill(recall, -1.0);

        var (gtOrder, gtStart) = GroupByCategoryAndImage(gt.Annotations, K, I);
        var (dtOrder, dtStart) = GroupByCategoryAndImage(dt, K, I);
        Parallel.For(0, K, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, k =>
        {
            var cat = new CategoryWork(p, gt.Annotations, dt, k, K);
            for (int img = 0; img < I; img++)
            {
                int key = k * I + img;
                var g = gtOrder.AsSpan(gtStart[key], gtStart[key + 1] - gtStart[key]);
                var d = dtOrder.AsSpan(dtStart[key], dtStart[key + 1] - dtStart[key]);
                if (g.Length == 0 && d.Length == 0) continue;
                cat.EvaluateImage(g, d);
            }
            cat.Accumulate(precision, recall);
        });
        return CocoEvalResult.Summarize(p, gt.Categories, precision, recall);
    }

    /// <summary>Stable grouping of boxes by (category, image): entries of one group keep their file order.</summary>
    static (int[] order, int[] start) GroupByCategoryAndImage(CocoBoxes b, int K, int I)
    {
        var start = new int[K * I + 1];
        for (int i = 0; i < b.Count; i++) start[b.Category[i] * I + b.Image[i] + 1]++;
        for (int i = 0; i < K * I; i++) start[i + 1] += start[i];
        var fill = start.AsSpan(0, K * I).ToArray();
        var order = new int[b.Count];
        for (int i = 0; i < b.Count; i++) order[fill[b.Category[i] * I + b.Image[i]]++] = i;
        return (order, start);
    }

    /// <summary>Per-category state: evaluateImg results of every image, then accumulate over them.</summary>
    sealed class CategoryWork(CocoEvalParams p, CocoBoxes gt, CocoBoxes dt, int k, int K)
    {
        readonly List<double> scores = [];
        readonly List<int> ranks = [];
        // codes[a][t] holds, per kept detection (image order, then score order), Ignored / TruePositive / FalsePositive.
        readonly List<byte>[][] codes = Enumerable.Range(0, p.A).Select(_ => Enumerable.Range(0, p.T).Select(_ => new List<byte>()).ToArray()).ToArray();
        readonly long[] nonIgnoredGt = new long[p.A];

        public void EvaluateImage(ReadOnlySpan<int> gIdx, ReadOnlySpan<int> dIdxUnsorted)
        {
            int maxDet = p.MaxDets[^1];
            var dSorted = dIdxUnsorted.ToArray();
            // np.argsort(-score, kind='mergesort'): score descending, ties in file order.
            var keys = dSorted.Select(i => -dt.Score[i]).ToArray();
            var positions = Enumerable.Range(0, dSorted.Length).ToArray();
            Array.Sort(positions, (x, y) => { int c = keys[x].CompareTo(keys[y]); return c != 0 ? c : x.CompareTo(y); });
            int D = Math.Min(maxDet, dSorted.Length), G = gIdx.Length, T = p.T;
            var d = new int[D];
            for (int i = 0; i < D; i++) d[i] = dSorted[positions[i]];

            var ious = BoxIou(d, gIdx);
            for (int i = 0; i < D; i++) { scores.Add(dt.Score[d[i]]); ranks.Add(i); }

            var ig = new bool[G];
            var order = new int[G];
            var matchedGt = new bool[G];
            var dtMatchId = new long[D];
            var dtIgFromGt = new bool[D];
            for (int a = 0; a < p.A; a++)
            {
                var (lo, hi) = p.AreaRanges[a];
                int nOk = 0;
                for (int g = 0; g < G; g++)
                {
                    int gi = gIdx[g];
                    ig[g] = gt.Crowd[gi] || gt.Area[gi] < lo || gt.Area[gi] > hi;
                    if (!ig[g]) order[nOk++] = g;
                }
                nonIgnoredGt[a] += nOk;
                for (int g = 0, j = nOk; g < G; g++) if (ig[g]) order[j++] = g;

                for (int t = 0; t < T; t++)
                {
                    Array.Clear(matchedGt);
                    double thr = Math.Min(p.IouThrs[t], 1 - 1e-10);
                    for (int di = 0; di < D; di++)
                    {
                        double best = thr;
                        int m = -1;
                        if (ious != null)
                        {
                            for (int s = 0; s < G; s++)
                            {
                                int g = order[s];
                                if (matchedGt[s] && !gt.Crowd[gIdx[g]]) continue;
                                if (m > -1 && !ig[order[m]] && ig[g]) break;
                                double v = ious[di * G + g];
                                if (v < best) continue;
                                best = v;
                                m = s;
                            }
                        }
                        if (m == -1) { dtMatchId[di] = 0; dtIgFromGt[di] = false; continue; }
                        dtIgFromGt[di] = ig[order[m]];
                        dtMatchId[di] = gt.Id[gIdx[order[m]]];
                        matchedGt[m] = true;
                    }
                    var list = codes[a][t];
                    for (int di = 0; di < D; di++)
                    {
                        // pycocotools tests "matched" as dtMatches != 0, i.e. through the gt id.
                        bool matched = dtMatchId[di] != 0;
                        double area = dt.Area[d[di]];
                        bool ignore = dtIgFromGt[di] || (!matched && (area < lo || area > hi));
                        list.Add(ignore ? Ignored : matched ? TruePositive : FalsePositive);
                    }
                }
            }
        }

        /// <summary>maskUtils.iou for boxes (D x G, row-major); crowd gts use the detection area as union. Null when either side is empty.</summary>
        double[]? BoxIou(int[] d, ReadOnlySpan<int> g)
        {
            if (d.Length == 0 || g.Length == 0) return null;
            int G = g.Length;
            var o = new double[d.Length * G];
            for (int j = 0; j < G; j++)
            {
                int gi = g[j];
                double gx = gt.X[gi], gy = gt.Y[gi], gw = gt.W[gi], gh = gt.H[gi], ga = gw * gh;
                bool crowd = gt.Crowd[gi];
                for (int i = 0; i < d.Length; i++)
                {
                    int di = d[i];
                    double dx = dt.X[di], dy = dt.Y[di], dw = dt.W[di], dh = dt.H[di], da = dw * dh;
                    double w = Math.Min(dw + dx, gw + gx) - Math.Max(dx, gx);
                    if (w <= 0) continue;
                    double h = Math.Min(dh + dy, gh + gy) - Math.Max(dy, gy);
                    if (h <= 0) continue;
                    double inter = w * h;
                    double u = crowd ? da : da + ga - inter;
                    o[i * G + j] = inter / u;
                }
            }
            return o;
        }

        public void Accumulate(double[] precision, double[] recall)
        {
            int T = p.T, R = p.R, A = p.A, M = p.M, n = scores.Count;
            var score = scores.ToArray();
            var rank = ranks.ToArray();
            var rc = new double[n];
            var pr = new double[n];
            var inds = new int[R];
            var codeArrays = codes.Select(row => row.Select(l => l.ToArray()).ToArray()).ToArray();
            for (int m = 0; m < M; m++)
            {
                int maxDet = p.MaxDets[m];
                // Concatenate each image's first maxDet detections, then a stable sort on -score (mergesort).
                var sel = Enumerable.Range(0, n).Where(i => rank[i] < maxDet).ToArray();
                Array.Sort(sel, (x, y) => { int c = (-score[x]).CompareTo(-score[y]); return c != 0 ? c : x.CompareTo(y); });
                int nd = sel.Length;
                for (int a = 0; a < A; a++)
                {
                    long npig = nonIgnoredGt[a];
                    if (npig == 0) continue;
                    for (int t = 0; t < T; t++)
                    {
                        var code = codeArrays[a][t];
                        long tp = 0, fp = 0;
                        for (int i = 0; i < nd; i++)
                        {
                            byte c = code[sel[i]];
                            if (c == TruePositive) tp++;
                            else if (c == FalsePositive) fp++;
                            double tpd = tp, fpd = fp;
                            rc[i] = tpd / npig;
                            pr[i] = tpd / (fpd + tpd + Spacing1);
                        }
                        recall[((t * K + k) * A + a) * M + m] = nd > 0 ? rc[nd - 1] : 0;
                        for (int i = nd - 1; i > 0; i--)
                            if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
                        NumpyMath.SearchSortedLeft(rc.AsSpan(0, nd), p.RecThrs, inds);
                        for (int r = 0; r < R; r++)
                            precision[(((t * R + r) * K + k) * A + a) * M + m] = inds[r] < nd ? pr[inds[r]] : 0.0;
                    }
                }
            }
        }
    }
}
