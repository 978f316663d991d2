using System.Buffers;

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
        // Precision is kept for the largest maxDets only, the one summarize() reads; layout [K, A, T, R].
        var precision = new double[K * p.A * p.T * p.R];
        var recall = new double[p.T * K * p.A * p.M];
        Array.Fill(precision, -1.0);
        Array.Fill(recall, -1.0);

        var (gtOrder, gtStart) = GroupByCategoryAndImage(gt.Annotations, K, I);
        var (dtOrder, dtStart) = GroupByCategoryAndImage(dt, K, I);
        Parallel.For(0, K, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, k =>
        {
            var cat = new CategoryWork(p, gt.Annotations, dt, k, K, dtStart[(k + 1) * I] - dtStart[k * I]);
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
    sealed class CategoryWork
    {
        readonly CocoEvalParams p;
        readonly CocoBoxes gt, dt;
        readonly int k, K, capacity;
        int n; // detections kept so far, in image order then score order (pycocotools' concatenation order)
        readonly double[] score;
        readonly int[] rank;
        // codes[(a * T + t) * capacity + i]: Ignored / TruePositive / FalsePositive of kept detection i.
        readonly byte[] codes;
        readonly long[] nonIgnoredGt;
        int[] sortBuf = new int[16], tmpBuf = new int[16], candS = new int[16];
        double[] candIou = new double[16], iouBuf = new double[64];
        readonly double candidateIou;

        public CategoryWork(CocoEvalParams p, CocoBoxes gt, CocoBoxes dt, int k, int K, int capacity)
        {
            (this.p, this.gt, this.dt, this.k, this.K, this.capacity) = (p, gt, dt, k, K, capacity);
            score = new double[capacity];
            rank = new int[capacity];
            codes = ArrayPool<byte>.Shared.Rent(p.A * p.T * capacity);
            nonIgnoredGt = new long[p.A];
            candidateIou = Math.Min(p.IouThrs.Min(), 1 - 1e-10);
        }

        public void EvaluateImage(ReadOnlySpan<int> gIdx, ReadOnlySpan<int> dIdx)
        {
            if (sortBuf.Length < dIdx.Length) { sortBuf = new int[dIdx.Length * 2]; tmpBuf = new int[dIdx.Length * 2]; }
            var sorted = sortBuf.AsSpan(0, dIdx.Length);
            dIdx.CopyTo(sorted);
            StableSort.ByScoreDescending(sorted, dt.Score, tmpBuf);
            int D = Math.Min(p.MaxDets[^1], sorted.Length), G = gIdx.Length, T = p.T;
            var d = sorted[..D];
            int first = n;
            for (int i = 0; i < D; i++) { score[n] = dt.Score[d[i]]; rank[n] = i; n++; }

            var ious = BoxIou(d, gIdx);
            Span<bool> ig = G <= 256 ? stackalloc bool[G] : new bool[G];
            Span<bool> crowd = G <= 256 ? stackalloc bool[G] : new bool[G];
            Span<int> order = G <= 256 ? stackalloc int[G] : new int[G];
            Span<bool> matchedGt = G <= 256 ? stackalloc bool[G] : new bool[G];
            Span<bool> igS = G <= 256 ? stackalloc bool[G] : new bool[G];
            Span<long> dtMatchId = D <= 128 ? stackalloc long[D] : new long[D];
            Span<bool> dtIgFromGt = D <= 128 ? stackalloc bool[D] : new bool[D];
            Span<int> candStart = D < 128 ? stackalloc int[D + 1] : new int[D + 1];
            if (candS.Length < D * G) { candS = new int[D * G * 2]; candIou = new double[D * G * 2]; }
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
                // Ground truth in matching order: non-ignored first, file order within each group.
                for (int s = 0; s < G; s++) { igS[s] = ig[order[s]]; crowd[s] = gt.Crowd[gIdx[order[s]]]; }

                // Candidates per detection: ground truths with IoU >= .5 (the lowest threshold) in matching order. The
                // others can never be matched, and skipping them cannot skip pycocotools' early stop either: that stop
                // fires at the first ignored gt, and every gt after it is ignored too.
                int nCand = 0;
                for (int di = 0; di < D; di++)
                {
                    candStart[di] = nCand;
                    if (ious == null) continue;
                    int row = di * G;
                    for (int s = 0; s < G; s++)
                    {
                        double v = ious[row + order[s]];
                        if (v >= candidateIou) { candS[nCand] = s; candIou[nCand] = v; nCand++; }
                    }
                }
                candStart[D] = nCand;

                for (int t = 0; t < T; t++)
                {
                    matchedGt.Clear();
                    double thr = Math.Min(p.IouThrs[t], 1 - 1e-10);
                    for (int di = 0; di < D; di++)
                    {
                        double best = thr;
                        int m = -1;
                        for (int c = candStart[di], end = candStart[di + 1]; c < end; c++)
                        {
                            int s = candS[c];
                            if (matchedGt[s] && !crowd[s]) continue;
                            if (m > -1 && !igS[m] && igS[s]) break;
                            double v = candIou[c];
                            if (v < best) continue;
                            best = v;
                            m = s;
                        }
                        if (m == -1) { dtMatchId[di] = 0; dtIgFromGt[di] = false; continue; }
                        dtIgFromGt[di] = igS[m];
                        dtMatchId[di] = gt.Id[gIdx[order[m]]];
                        matchedGt[m] = true;
                    }
                    int baseIdx = (a * T + t) * capacity + first;
                    for (int di = 0; di < D; di++)
                    {
                        // pycocotools tests "matched" as dtMatches != 0, i.e. through the gt id.
                        bool matched = dtMatchId[di] != 0;
                        double area = dt.Area[d[di]];
                        bool ignore = dtIgFromGt[di] || (!matched && (area < lo || area > hi));
                        codes[baseIdx + di] = ignore ? Ignored : matched ? TruePositive : FalsePositive;
                    }
                }
            }
        }

        /// <summary>maskUtils.iou for boxes (D x G, row-major); crowd gts use the detection area as union. Null when either side is empty.</summary>
        double[]? BoxIou(ReadOnlySpan<int> d, ReadOnlySpan<int> g)
        {
            if (d.Length == 0 || g.Length == 0) return null;
            int G = g.Length;
            if (iouBuf.Length < d.Length * G) iouBuf = new double[d.Length * G * 2];
            var o = iouBuf;
            Array.Clear(o, 0, d.Length * G);
            for (int j = 0; j < G; j++)
            {
                int gi = g[j];
                double gx = gt.X[gi], gy = gt.Y[gi], gw = gt.W[gi], gh = gt.H[gi], ga = gw * gh;
                bool isCrowd = gt.Crowd[gi];
                for (int i = 0; i < d.Length; i++)
                {
                    int di = d[i];
                    double dx = dt.X[di], dy = dt.Y[di], dw = dt.W[di], dh = dt.H[di], da = dw * dh;
                    double w = Math.Min(dw + dx, gw + gx) - Math.Max(dx, gx);
                    if (w <= 0) continue;
                    double h = Math.Min(dh + dy, gh + gy) - Math.Max(dy, gy);
                    if (h <= 0) continue;
                    double inter = w * h;
                    double u = isCrowd ? da : da + ga - inter;
                    o[i * G + j] = inter / u;
                }
            }
            return o;
        }

        /// <summary>
        /// accumulate() for this category. Precision is only evaluated where it can matter: pycocotools reads the
        /// right-to-left running maximum of tp/(tp+fp+eps) at the first index whose recall reaches each threshold;
        /// that index is a true positive (recall only grows there) or index 0, and precision never rises between
        /// true positives, so the running maximum over true positives alone gives the same doubles.
        /// </summary>
        public void Accumulate(double[] precision, double[] recall)
        {
            int T = p.T, R = p.R, A = p.A, M = p.M;
            // One stable sort of all kept detections; each maxDet subset keeps that order (the order is total).
            var all = new int[n];
            for (int i = 0; i < n; i++) all[i] = i;
            StableSort.ByScoreDescending(all, score, new int[n]);
            // Codes gathered into score order once, so the scans below read memory in sequence.
            var sortedCodes = ArrayPool<byte>.Shared.Rent(codes.Length);
            for (int row = 0; row < A * T; row++)
            {
                var src = codes.AsSpan(row * capacity, n);
                var dst = sortedCodes.AsSpan(row * capacity, n);
                for (int i = 0; i < n; i++) dst[i] = src[all[i]];
            }
            var prAtTp = new double[n + 1];
            var sel = new int[n];
            for (int m = 0; m < M; m++)
            {
                int maxDet = p.MaxDets[m];
                // Positions (in score order) of the detections within each image's first maxDet.
                int nd = 0;
                for (int i = 0; i < n; i++) if (rank[all[i]] < maxDet) sel[nd++] = i;
                for (int a = 0; a < A; a++)
                {
                    long npig = nonIgnoredGt[a];
                    if (npig == 0) continue;
                    for (int t = 0; t < T; t++)
                    {
                        var code = sortedCodes.AsSpan((a * T + t) * capacity, n);
                        int tp = 0, fp = 0;
                        bool needPrecision = m == M - 1;
                        for (int i = 0; i < nd; i++)
                        {
                            byte c = code[sel[i]];
                            if (c == TruePositive)
                            {
                                tp++;
                                if (!needPrecision) continue;
                                double tpd = tp;
                                prAtTp[tp] = tpd / ((double)fp + tpd + Spacing1);
                            }
                            else if (c == FalsePositive) fp++;
                        }
                        recall[((t * K + k) * A + a) * M + m] = nd > 0 ? (double)tp / npig : 0;
                        if (!needPrecision) continue;
                        for (int c = tp - 1; c >= 1; c--)
                            if (prAtTp[c + 1] > prAtTp[c]) prAtTp[c] = prAtTp[c + 1];
                        var qOut = precision.AsSpan(((k * A + a) * T + t) * R, R);
                        int next = 1; // smallest true-positive count whose recall may reach the threshold
                        for (int r = 0; r < R; r++)
                        {
                            double thr = p.RecThrs[r];
                            double q;
                            if (nd > 0 && 0.0 >= thr) q = tp > 0 ? Math.Max(0.0, prAtTp[1]) : 0.0; // index 0
                            else
                            {
                                while (next <= tp && (double)next / npig < thr) next++;
                                q = next <= tp ? prAtTp[next] : 0.0;
                            }
                            qOut[r] = q;
                        }
                    }
                }
            }
            ArrayPool<byte>.Shared.Return(sortedCodes);
            ArrayPool<byte>.Shared.Return(codes);
        }
    }
}
