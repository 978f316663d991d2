using System.Text.Json;
using YoloDistill.Detector.Common;

namespace YoloDistill.Detector.Evaluation;

/// <summary>Writes {"stats": [12 doubles], "per_category": {"name": ap}} atomically (temp file, then rename).</summary>
public static class CocoEvalResultJson
{
    public static void Write(CocoEvalResult result, string path)
    {
        AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteStartArray("stats");
            foreach (var s in result.Stats) w.WriteNumberValue(s);
            w.WriteEndArray();
            w.WriteStartObject("per_category");
            // Names are unique in COCO files; a repeated name keeps the first category's entry and gets its id appended.
            var seen = new HashSet<string>();
            foreach (var c in result.PerCategory)
                w.WriteNumber(seen.Add(c.Name) ? c.Name : $"{c.Name} ({c.CategoryId})", c.Ap);
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }
}
