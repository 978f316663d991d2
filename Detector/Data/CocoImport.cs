using System.Text.Json;

namespace YoloDistill.Detector.Data;

/// <summary>
/// COCO JSON exported by another tool (CVAT, Label Studio, Roboflow) to the layout the trainer reads: the images
/// that exist are copied into <c>out/split/</c> under their file names (tools often write folder prefixes such as
/// <c>images/</c> or an upload path), images and annotations are renumbered, category ids and names are kept, and
/// faulty annotations are dropped under the same rules as the other formats. Segmentations are not carried over
/// (detection only).
/// </summary>
public static class CocoImport
{
    public static ConvertSummary Convert(string imagesDir, string jsonFile, string outRoot, string split,
        bool strict = false, CancellationToken ct = default)
    {
        DatasetConverter.ListImages(imagesDir);
        if (!File.Exists(jsonFile)) throw new FileNotFoundException($"COCO JSON '{jsonFile}' not found", jsonFile);
        JsonDocument doc;
        try
        {
            using var s = File.OpenRead(jsonFile);
            doc = JsonDocument.Parse(s, new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{jsonFile}: not valid JSON (line {e.LineNumber + 1}: {e.Message})", e);
        }
        using var _ = doc;
        var root = doc.RootElement;
        JsonElement Array(string name) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array
            ? a : throw new InvalidDataException($"{jsonFile}: no '{name}' array (a COCO detection file has images, annotations and categories)");

        var faults = new FaultList(strict);
        var categories = new List<CocoCategory>();
        foreach (var c in Array("categories").EnumerateArray())
        {
            if (!TryInt(c, "id", out long id) || !c.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{jsonFile}: a category without an integer 'id' and a 'name': {c.GetRawText()}");
            if (categories.Any(k => k.Id == id)) throw new InvalidDataException($"{jsonFile}: duplicate category id {id}");
            string? super = c.TryGetProperty("supercategory", out var sc) && sc.ValueKind == JsonValueKind.String ? sc.GetString() : null;
            categories.Add(new CocoCategory(checked((int)id), n.GetString()!, super));
        }
        if (categories.Count == 0) throw new InvalidDataException($"{jsonFile}: no categories");
        categories.Sort((a, b) => a.Id.CompareTo(b.Id));
        var catIds = categories.Select(c => (long)c.Id).ToHashSet();

        // Each image entry, resolved to a file; entries whose file is missing are faults and drop their annotations.
        var images = new Dictionary<long, (string File, string Name)>();
        var order = new List<long>();
        foreach (var im in Array("images").EnumerateArray())
        {
            if (!TryInt(im, "id", out long id) || !im.TryGetProperty("file_name", out var fn) || fn.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{jsonFile}: an image without an integer 'id' and a 'file_name': {im.GetRawText()}");
            if (images.ContainsKey(id)) throw new InvalidDataException($"{jsonFile}: duplicate image id {id}");
            var name = fn.GetString()!;
            var file = new[] { Path.Combine(imagesDir, name), Path.Combine(imagesDir, Path.GetFileName(name.Replace('\\', '/'))) }.FirstOrDefault(File.Exists);
            if (file is null)
            {
                faults.Add(jsonFile, $"image id {id}", LabelFaultKind.MissingImage, $"'{name}' is not in '{imagesDir}'; the image and its annotations are not used");
                images[id] = ("", name);
                continue;
            }
            images[id] = (file, Path.GetFileName(file));
            order.Add(id);
        }

        using var writer = new CocoSplitWriter(outRoot, split);
        var newId = new Dictionary<long, (int Id, int W, int H)>();
        foreach (var id in order)
        {
            ct.ThrowIfCancellationRequested();
            var (file, name) = images[id];
            var (w, h) = DatasetConverter.ImageSize(file);
            newId[id] = (writer.AddImage(file, name, w, h), w, h);
        }

        var seen = new Dictionary<(long, long, double, double, double, double), long>();
        foreach (var a in Array("annotations").EnumerateArray())
        {
            string where = TryInt(a, "id", out long annId) ? $"annotation id {annId}" : $"annotation {a.GetRawText()}";
            if (!TryInt(a, "image_id", out long imageId) || !TryInt(a, "category_id", out long cat)
                || !a.TryGetProperty("bbox", out var bb) || bb.ValueKind != JsonValueKind.Array || bb.GetArrayLength() != 4
                || bb.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.Number))
            {
                faults.Add(jsonFile, where, LabelFaultKind.Malformed, "needs an integer image_id and category_id and a bbox of 4 numbers");
                continue;
            }
            if (!images.TryGetValue(imageId, out var image))
            {
                faults.Add(jsonFile, where, LabelFaultKind.MissingImage, $"refers to image id {imageId}, which the file does not list");
                continue;
            }
            if (!newId.TryGetValue(imageId, out var target)) continue; // its image is missing, reported once above
            if (!catIds.Contains(cat))
            {
                faults.Add(jsonFile, where, LabelFaultKind.UnknownClass, $"category id {cat} is not among the categories");
                continue;
            }
            var b = bb.EnumerateArray().Select(x => x.GetDouble()).ToArray();
            var c = LabelRules.CheckPixelBox(b[0], b[1], b[2], b[3], target.W, target.H);
            if (c.Fault is { } kind)
            {
                faults.Add(jsonFile, where, kind, $"{c.Detail} ('{image.Name}')");
                continue;
            }
            var key = (imageId, cat, b[0], b[1], b[2], b[3]);
            if (seen.TryGetValue(key, out long first))
            {
                faults.Add(jsonFile, where, LabelFaultKind.Duplicate, $"repeats annotation id {first} ('{image.Name}')");
                continue;
            }
            seen[key] = annId;
            bool crowd = a.TryGetProperty("iscrowd", out var ic) && ic.ValueKind == JsonValueKind.Number && ic.GetDouble() != 0;
            writer.AddBox(target.Id, cat, c.X, c.Y, c.W, c.H, crowd);
        }
        writer.Commit(categories, $"converted from {jsonFile}");
        return new ConvertSummary(writer.ImagesDir, writer.AnnotationsJson, writer.Images, writer.Boxes, writer.ImagesWithoutBoxes,
            categories.Select(c => c.Name).ToArray(), faults.Items);
    }

    static bool TryInt(JsonElement e, string name, out long v)
    {
        v = 0;
        return e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt64(out v);
    }
}
