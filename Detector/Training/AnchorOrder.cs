namespace YoloDistill.Detector.Training;

/// <summary>
/// Ultralytics v7.0 check_anchor_order in pixel space: the levels' mean anchor area must grow with their stride,
/// otherwise the levels are given in reverse.
/// </summary>
public static class AnchorOrder
{
    /// <param name="anchorsPx">One row per level (w0,h0,w1,h1,...).</param>
    /// <param name="strides">The levels' strides.</param>
    /// <returns>The rows in stride order (the same array when already ordered).</returns>
    public static float[][] ByStride(float[][] anchorsPx, int[] strides)
    {
        static double MeanArea(float[] row) => Enumerable.Range(0, row.Length / 2).Average(i => (double)row[2 * i] * row[2 * i + 1]);
        double da = MeanArea(anchorsPx[^1]) - MeanArea(anchorsPx[0]);
        int ds = strides[^1] - strides[0];
        return da != 0 && Math.Sign(da) != Math.Sign(ds) ? anchorsPx.Reverse().ToArray() : anchorsPx;
    }

    /// <summary>n×2 anchors (sorted by area) as rows of <paramref name="perLevel"/> anchors, one row per level.</summary>
    public static float[][] ToLevels(float[][] anchors, int perLevel) =>
        anchors.Chunk(perLevel).Select(c => c.SelectMany(a => a).ToArray()).ToArray();
}
