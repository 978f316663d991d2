using System.Text.Json;

namespace YoloDistill.Detector.Evaluation;

/// <summary>A COCO results file (list of {image_id, category_id, bbox, score}) read with pycocotools' loadRes semantics.</summary>
public static class CocoDetections
{
    /// <summary>
    /// Reads detections: area = w*h, id = 1..N in file order, iscrowd 0. A detection on an image the ground truth
    /// does not list is an error (pycocotools refuses such files); detections of unknown categories are never
    /// evaluated, so they are dropped. Streams the json (results files run to hundreds of thousands of entries).
    /// </summary>
    public static CocoBoxes Load(string path, CocoGroundTruth gt)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Detections file '{path}' does not exist.", path);
        var bytes = File.ReadAllBytes(path);
        var imageIndex = CocoGroundTruth.Index(gt.ImageIds);
        var catIndex = CocoGroundTruth.Index(gt.Categories.Select(c => c.Id).ToArray());
        var boxes = new CocoBoxes(Math.Max(16, bytes.Length / 90));
        int n = 0;
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                throw new InvalidDataException($"{path}: expected a COCO results list of {{image_id, category_id, bbox, score}}.");
            var bb = new double[4];
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                int where = n++; // formatted only into error messages
                if (reader.TokenType != JsonTokenType.StartObject) throw new InvalidDataException($"{path}: detection {where} is not an object.");
                long? imageId = null, catId = null;
                double? score = null;
                bool hasBox = false;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("image_id"u8)) imageId = ReadId(ref reader, path, where, "image_id");
                    else if (reader.ValueTextEquals("category_id"u8)) catId = ReadId(ref reader, path, where, "category_id");
                    else if (reader.ValueTextEquals("score"u8)) score = ReadNumber(ref reader, path, where, "score");
                    else if (reader.ValueTextEquals("bbox"u8)) hasBox = ReadBox(ref reader, bb);
                    else { reader.Read(); reader.Skip(); }
                }
                if (imageId is null) throw new InvalidDataException($"{path}: detection {where} has no numeric 'image_id'.");
                if (catId is null) throw new InvalidDataException($"{path}: detection {where} has no numeric 'category_id'.");
                if (!hasBox) throw new InvalidDataException($"{path}: detection {where} has no 'bbox' of 4 numbers [x, y, w, h].");
                if (score is not { } s || !double.IsFinite(s)) throw new InvalidDataException($"{path}: detection {where} has no finite numeric 'score'.");
                if (!imageIndex.TryGetValue(imageId.Value, out int ii))
                    throw new InvalidDataException($"{path}: detection {where} has image_id {imageId}, which is not an image of {gt.Source}.");
                if (!catIndex.TryGetValue(catId.Value, out int ci)) continue;
                boxes.Add(ii, ci, (bb[0], bb[1], bb[2], bb[3]), bb[2] * bb[3], false, n, s);
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
        return boxes;
    }

    static long ReadId(ref Utf8JsonReader r, string path, int where, string name)
    {
        r.Read();
        if (r.TokenType != JsonTokenType.Number) throw new InvalidDataException($"{path}: detection {where} has no numeric '{name}'.");
        if (r.TryGetInt64(out long v)) return v;
        double d = r.GetDouble();
        if (d != Math.Floor(d)) throw new InvalidDataException($"{path}: detection {where} has a non-integer '{name}' ({d}).");
        return (long)d;
    }

    static double ReadNumber(ref Utf8JsonReader r, string path, int where, string name)
    {
        r.Read();
        if (r.TokenType != JsonTokenType.Number) throw new InvalidDataException($"{path}: detection {where} has no numeric '{name}'.");
        return r.GetDouble();
    }

    /// <summary>Reads [x, y, w, h]; false (and the value skipped) when it is not exactly four numbers.</summary>
    static bool ReadBox(ref Utf8JsonReader r, Span<double> bb)
    {
        r.Read();
        if (r.TokenType != JsonTokenType.StartArray) { r.Skip(); return false; }
        int i = 0;
        bool ok = true;
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (r.TokenType != JsonTokenType.Number || i >= 4) { ok = false; r.Skip(); i++; continue; }
            bb[i++] = r.GetDouble();
        }
        return ok && i == 4;
    }
}
