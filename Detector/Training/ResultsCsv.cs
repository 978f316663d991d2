using System.Globalization;
using CsvHelper;
using YoloDistill.Detector.Common;

namespace YoloDistill.Detector.Training;

/// <summary>
/// results.csv with Ultralytics' column names and order (so its plotting and pandas code read it), plus optional
/// extra columns appended at the end. A row is appended per epoch; on resume the file is cut back to the epochs the
/// checkpoint has seen, so rows from an interrupted epoch never linger.
/// </summary>
public static class ResultsCsv
{
    public static readonly string[] Columns =
    [
        "epoch", "train/box_loss", "train/obj_loss", "train/cls_loss",
        "metrics/precision", "metrics/recall", "metrics/mAP_0.5", "metrics/mAP_0.5:0.95",
        "val/box_loss", "val/obj_loss", "val/cls_loss", "x/lr0", "x/lr1", "x/lr2",
    ];

    public static void Append(string path, EpochResult r)
    {
        bool exists = File.Exists(path) && new FileInfo(path).Length > 0;
        var header = Columns.Concat(r.Extra.Select(e => e.Key)).ToArray();
        if (exists)
        {
            var existing = ReadHeader(path);
            if (!existing.SequenceEqual(header))
                throw new InvalidDataException($"{path}: columns ({string.Join(",", existing)}) differ from this run's ({string.Join(",", header)}).");
        }
        using var w = new StreamWriter(path, append: true);
        using var csv = CsvWriter.Create(w, new CsvWriterOptions { NewLine = "\n", FormatProvider = CultureInfo.InvariantCulture });
        if (!exists) csv.WriteRecord(header);
        csv.WriteRecord([r.Epoch.ToString(CultureInfo.InvariantCulture), .. Values(r).Select(Format)]);
    }

    public static List<EpochResult> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: results file not found.", path);
        using var reader = new StreamReader(path);
        using var csv = CsvReader.Create(reader, ReaderOptions);
        var rows = new List<EpochResult>();
        if (!csv.Read()) return rows;
        var header = Fields(csv);
        for (int i = 0; i < Columns.Length; i++)
            if (i >= header.Length || header[i] != Columns[i])
                throw new InvalidDataException($"{path}: column {i + 1} is '{(i < header.Length ? header[i] : "")}', expected '{Columns[i]}'.");
        while (csv.Read())
        {
            double F(int i)
            {
                var s = i < csv.FieldCount ? csv.GetString(i) : "";
                return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
                    : throw new InvalidDataException($"{path}: row {rows.Count + 2}: '{header[i]}' is not a number ('{s}').");
            }
            rows.Add(new EpochResult
            {
                Epoch = (int)F(0), TrainBox = F(1), TrainObj = F(2), TrainCls = F(3), Precision = F(4), Recall = F(5),
                Map50 = F(6), Map5095 = F(7), ValBox = F(8), ValObj = F(9), ValCls = F(10), Lr0 = F(11), Lr1 = F(12), Lr2 = F(13),
                Extra = Enumerable.Range(Columns.Length, header.Length - Columns.Length).Select(i => KeyValuePair.Create(header[i], F(i))).ToArray(),
            });
        }
        return rows;
    }

    /// <summary>Keeps only rows with epoch &lt; <paramref name="startEpoch"/> (rewritten atomically); no file is fine.</summary>
    public static void TruncateTo(string path, int startEpoch)
    {
        if (!File.Exists(path)) return;
        var keep = Read(path).Where(r => r.Epoch < startEpoch).ToList();
        AtomicFile.WriteToTempPath(path, tmp =>
        {
            foreach (var r in keep) Append(tmp, r);
            if (keep.Count == 0) File.WriteAllText(tmp, "");
        });
    }

    static IEnumerable<double> Values(EpochResult r) =>
        new[] { r.TrainBox, r.TrainObj, r.TrainCls, r.Precision, r.Recall, r.Map50, r.Map5095, r.ValBox, r.ValObj, r.ValCls, r.Lr0, r.Lr1, r.Lr2 }
            .Concat(r.Extra.Select(e => e.Value));

    /// <summary>Ultralytics writes %.5g; a few more digits cost nothing and keep the numbers comparable.</summary>
    static string Format(double v) => v.ToString("G7", CultureInfo.InvariantCulture);

    static string[] ReadHeader(string path)
    {
        using var reader = new StreamReader(path);
        using var csv = CsvReader.Create(reader, ReaderOptions);
        return csv.Read() ? Fields(csv) : [];
    }

    // Ultralytics pads its fields with spaces (%20s), so trimming lets its files be read too.
    static readonly CsvReaderOptions ReaderOptions = new() { HasHeader = false, TrimWhitespace = true, SkipEmptyLines = true };

    static string[] Fields(CsvReader csv) => Enumerable.Range(0, csv.FieldCount).Select(csv.GetString).ToArray();
}
