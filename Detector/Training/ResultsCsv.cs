using System.Globalization;
using CsvHelper;
using YoloDistill.Detector.Common;

namespace YoloDistill.Detector.Training;

/// <summary>
/// results.csv with Ultralytics' column names and order (so its plotting and pandas code read it), plus optional
/// extra columns appended at the end. A row is appended per epoch; on resume the file is cut back to the epochs the
/// checkpoint has seen, so rows from an interrupted epoch never linger. Columns are found by name, never by position:
/// a row is written in the order of the file's header, and a file is read whatever order its columns are in.
/// </summary>
public static class ResultsCsv
{
    /// <summary>Ultralytics' columns, each with the <see cref="EpochResult"/> value it holds.</summary>
    static readonly (string Name, Func<EpochResult, double> Get)[] Standard =
    [
        ("epoch", r => r.Epoch), ("train/box_loss", r => r.TrainBox), ("train/obj_loss", r => r.TrainObj), ("train/cls_loss", r => r.TrainCls),
        ("metrics/precision", r => r.Precision), ("metrics/recall", r => r.Recall), ("metrics/mAP_0.5", r => r.Map50), ("metrics/mAP_0.5:0.95", r => r.Map5095),
        ("val/box_loss", r => r.ValBox), ("val/obj_loss", r => r.ValObj), ("val/cls_loss", r => r.ValCls), ("x/lr0", r => r.Lr0), ("x/lr1", r => r.Lr1), ("x/lr2", r => r.Lr2),
    ];

    public static readonly string[] Columns = Standard.Select(c => c.Name).ToArray();

    /// <summary>The training loss columns the detector's own loss fills (box, obj, cls), in ComputeLoss's item order.</summary>
    public static readonly string[] TrainLossColumns = ["train/box_loss", "train/obj_loss", "train/cls_loss"];

    public static void Append(string path, EpochResult r)
    {
        // This row's columns: Ultralytics' first, then the extras in the row's order (the header of a new file).
        var names = Columns.Concat(r.Extra.Select(e => e.Key)).ToArray();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, get) in Standard) values[name] = name == "epoch" ? r.Epoch.ToString(CultureInfo.InvariantCulture) : Format(get(r));
        foreach (var (name, v) in r.Extra)
            if (!values.TryAdd(name, Format(v))) throw new ArgumentException($"results.csv column '{name}' is given twice.");
        bool exists = File.Exists(path) && new FileInfo(path).Length > 0;
        var header = exists ? ReadHeader(path) : names;
        if (exists && (header.Length != names.Length || header.Any(h => !values.ContainsKey(h))))
            throw new InvalidDataException($"{path}: columns ({string.Join(",", header)}) differ from this run's ({string.Join(",", names)}).");
        using var w = new StreamWriter(path, append: true);
        using var csv = CsvWriter.Create(w, new CsvWriterOptions { NewLine = "\n", FormatProvider = CultureInfo.InvariantCulture });
        if (!exists) csv.WriteRecord(header);
        csv.WriteRecord(header.Select(h => values[h]).ToArray());
    }

    public static List<EpochResult> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: results file not found.", path);
        using var reader = new StreamReader(path);
        using var csv = CsvReader.Create(reader, ReaderOptions);
        var rows = new List<EpochResult>();
        if (!csv.Read()) return rows;
        var header = Fields(csv);
        var at = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < header.Length; i++)
            if (!at.TryAdd(header[i], i)) throw new InvalidDataException($"{path}: column '{header[i]}' appears twice.");
        foreach (var c in Columns)
            if (!at.ContainsKey(c)) throw new InvalidDataException($"{path}: no '{c}' column (its columns: {string.Join(",", header)}).");
        var extra = header.Where(h => !Columns.Contains(h)).ToArray();
        while (csv.Read())
        {
            double F(string column)
            {
                int i = at[column];
                var s = i < csv.FieldCount ? csv.GetString(i) : "";
                return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
                    : throw new InvalidDataException($"{path}: row {rows.Count + 2}: '{column}' is not a number ('{s}').");
            }
            rows.Add(new EpochResult
            {
                Epoch = (int)F("epoch"), TrainBox = F("train/box_loss"), TrainObj = F("train/obj_loss"), TrainCls = F("train/cls_loss"),
                Precision = F("metrics/precision"), Recall = F("metrics/recall"), Map50 = F("metrics/mAP_0.5"), Map5095 = F("metrics/mAP_0.5:0.95"),
                ValBox = F("val/box_loss"), ValObj = F("val/obj_loss"), ValCls = F("val/cls_loss"), Lr0 = F("x/lr0"), Lr1 = F("x/lr1"), Lr2 = F("x/lr2"),
                Extra = extra.Select(c => KeyValuePair.Create(c, F(c))).ToArray(),
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
