using System.Globalization;
using System.Text.Json;
using CsvHelper;
using YoloDistill.Detector.Common;

namespace YoloDistill.Detector.Evaluation;

/// <summary>One row of the per-class table: val.py prints the images seen (not per class) beside each class.</summary>
public sealed record ClassReportRow(int Class, string Name, int Images, long Instances, double P, double R, double Map50, double Map5095);

/// <summary>
/// The files a `val` run leaves behind besides predictions and plots: stats.json (COCO's 12 stats of the run's own
/// predictions plus val.py's P, R, mAP50, mAP50-95 and the per-class rows) and the per-class CSV. Written atomically.
/// </summary>
public static class ValReport
{
    public static readonly string[] CsvColumns = ["Class", "Images", "Instances", "P", "R", "mAP50", "mAP50-95"];

    /// <summary>val.py's per-class rows (classes with labels or detections), named from <paramref name="names"/>.</summary>
    public static IReadOnlyList<ClassReportRow> Rows(ValMetrics m, IReadOnlyList<string> names) =>
        m.PerClass.Select(c => new ClassReportRow(c.Class, c.Class < names.Count ? names[c.Class] : c.Class.ToString(CultureInfo.InvariantCulture),
            m.Images, c.Instances, c.P, c.R, c.Ap50, c.Ap)).ToArray();

    public static void WriteStatsJson(string path, ValMetrics m, IReadOnlyList<ClassReportRow> rows, double[] cocoStats)
    {
        AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteStartArray("coco");
            foreach (var s in cocoStats) w.WriteNumberValue(s);
            w.WriteEndArray();
            w.WriteNumber("precision", m.MP);
            w.WriteNumber("recall", m.MR);
            w.WriteNumber("map50", m.Map50);
            w.WriteNumber("map50_95", m.Map);
            w.WriteNumber("images", m.Images);
            w.WriteNumber("instances", m.Instances);
            w.WriteStartArray("per_class");
            foreach (var r in rows)
            {
                w.WriteStartObject();
                w.WriteNumber("class", r.Class);
                w.WriteString("name", r.Name);
                w.WriteNumber("images", r.Images);
                w.WriteNumber("instances", r.Instances);
                w.WriteNumber("p", r.P);
                w.WriteNumber("r", r.R);
                w.WriteNumber("map50", r.Map50);
                w.WriteNumber("map50_95", r.Map5095);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>The table val.py prints, as CSV: an 'all' row, then one row per class, full precision.</summary>
    public static void WritePerClassCsv(string path, ValMetrics m, IReadOnlyList<ClassReportRow> rows)
    {
        static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        AtomicFile.Write(path, stream =>
        {
            using var sw = new StreamWriter(stream);
            using var csv = CsvWriter.Create(sw, new CsvWriterOptions { NewLine = "\n", FormatProvider = CultureInfo.InvariantCulture });
            csv.WriteRecord(CsvColumns);
            csv.WriteRecord(["all", m.Images.ToString(CultureInfo.InvariantCulture), m.Instances.ToString(CultureInfo.InvariantCulture), F(m.MP), F(m.MR), F(m.Map50), F(m.Map)]);
            foreach (var r in rows)
                csv.WriteRecord([r.Name, r.Images.ToString(CultureInfo.InvariantCulture), r.Instances.ToString(CultureInfo.InvariantCulture), F(r.P), F(r.R), F(r.Map50), F(r.Map5095)]);
        });
    }
}
