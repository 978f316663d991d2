using System.Globalization;
using CsvHelper;

namespace YoloDistill.Detector.Inference;

/// <summary>Streams detections to a CSV file (header source, frame, class_id, class_name, conf, x1, y1, x2, y2), one row per box.</summary>
public sealed class DetectionCsv : IDisposable
{
    public static readonly string[] Columns = ["source", "frame", "class_id", "class_name", "conf", "x1", "y1", "x2", "y2"];

    readonly CsvWriter _csv;

    public DetectionCsv(string path)
    {
        _csv = CsvWriter.Create(new StreamWriter(path), options: null, leaveOpen: false);
        _csv.WriteHeader(Columns); // ends its record itself
    }

    public void Write(string source, int frame, IEnumerable<Detection> detections)
    {
        foreach (var d in detections)
        {
            _csv.WriteField(source);
            _csv.WriteField(frame.ToString(CultureInfo.InvariantCulture));
            _csv.WriteField(d.ClassId.ToString(CultureInfo.InvariantCulture));
            _csv.WriteField(d.ClassName);
            _csv.WriteField(d.Confidence.ToString("0.#####", CultureInfo.InvariantCulture));
            foreach (var v in (ReadOnlySpan<float>)[d.X1, d.Y1, d.X2, d.Y2]) _csv.WriteField(v.ToString("0.###", CultureInfo.InvariantCulture));
            _csv.EndRecord();
        }
    }

    public void Dispose() => _csv.Dispose();
}
