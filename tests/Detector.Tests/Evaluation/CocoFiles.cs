using System.Globalization;
using System.Text;

namespace YoloDistill.Detector.Tests.Evaluation;

/// <summary>Writes small COCO annotation / results files into a temporary folder for hand-computed cases.</summary>
public sealed class CocoFiles : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("cocoeval-test").FullName;
    readonly List<string> gts = [];
    readonly List<string> dts = [];
    int nextId = 1;

    public string GtPath => Path.Combine(dir, "gt.json");
    public string DtPath => Path.Combine(dir, "dt.json");

    static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Adds a ground-truth box; area defaults to w*h.</summary>
    public CocoFiles Gt(long image, long cat, double x, double y, double w, double h, bool crowd = false, double? area = null)
    {
        gts.Add($"{{\"id\": {nextId++}, \"image_id\": {image}, \"category_id\": {cat}, \"bbox\": [{F(x)}, {F(y)}, {F(w)}, {F(h)}], " +
                $"\"area\": {F(area ?? w * h)}, \"iscrowd\": {(crowd ? 1 : 0)}}}");
        return this;
    }

    public CocoFiles Dt(long image, long cat, double x, double y, double w, double h, double score)
    {
        dts.Add($"{{\"image_id\": {image}, \"category_id\": {cat}, \"bbox\": [{F(x)}, {F(y)}, {F(w)}, {F(h)}], \"score\": {F(score)}}}");
        return this;
    }

    /// <summary>Writes both files; images and categories are the given ids.</summary>
    public CocoFiles Write(long[] images, long[] categories)
    {
        var sb = new StringBuilder("{\"images\": [");
        sb.Append(string.Join(", ", images.Select(i => $"{{\"id\": {i}, \"width\": 640, \"height\": 480, \"file_name\": \"{i}.jpg\"}}")));
        sb.Append("], \"categories\": [");
        sb.Append(string.Join(", ", categories.Select(c => $"{{\"id\": {c}, \"name\": \"c{c}\"}}")));
        sb.Append("], \"annotations\": [").Append(string.Join(", ", gts)).Append("]}");
        File.WriteAllText(GtPath, sb.ToString());
        File.WriteAllText(DtPath, "[" + string.Join(", ", dts) + "]");
        return this;
    }

    public void Dispose() => Directory.Delete(dir, true);
}
