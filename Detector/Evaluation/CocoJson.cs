using System.Text.Json;

namespace YoloDistill.Detector.Evaluation;

/// <summary>Small readers for COCO json that turn every malformed entry into an error naming the file and the entry.</summary>
internal static class CocoJson
{
    public static JsonDocument Parse(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
    }

    public static JsonElement RequireArray(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out var el) || el.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{path}: missing the '{name}' list.");
        return el;
    }

    public static long RequireId(JsonElement obj, string name, string path, string where)
    {
        if (obj.ValueKind != JsonValueKind.Object || !obj.TryGetProperty(name, out var el) || el.ValueKind != JsonValueKind.Number)
            throw new InvalidDataException($"{path}: {where} has no numeric '{name}'.");
        if (el.TryGetInt64(out long v)) return v;
        double d = el.GetDouble();
        if (d != Math.Floor(d)) throw new InvalidDataException($"{path}: {where} has a non-integer '{name}' ({d}).");
        return (long)d;
    }

    public static double RequireNumber(JsonElement obj, string name, string path, string where)
    {
        if (!obj.TryGetProperty(name, out var el) || el.ValueKind != JsonValueKind.Number)
            throw new InvalidDataException($"{path}: {where} has no numeric '{name}'.");
        return el.GetDouble();
    }

    public static (double x, double y, double w, double h) RequireBox(JsonElement obj, string path, string where)
    {
        if (!obj.TryGetProperty("bbox", out var bb) || bb.ValueKind != JsonValueKind.Array || bb.GetArrayLength() != 4)
            throw new InvalidDataException($"{path}: {where} has no 'bbox' of 4 numbers [x, y, w, h].");
        Span<double> v = stackalloc double[4];
        int i = 0;
        foreach (var e in bb.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number) throw new InvalidDataException($"{path}: {where} has a non-numeric bbox value.");
            v[i++] = e.GetDouble();
        }
        return (v[0], v[1], v[2], v[3]);
    }

    public static bool ReadFlag(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var el) && (el.ValueKind == JsonValueKind.True || el.ValueKind == JsonValueKind.Number && el.GetDouble() != 0);
}
