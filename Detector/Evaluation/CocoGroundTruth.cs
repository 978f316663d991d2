using System.Text.Json;

namespace YoloDistill.Detector.Evaluation;

/// <summary>One COCO category: its id in the annotation file and its name.</summary>
public sealed record CocoCategory(long Id, string Name);

/// <summary>
/// The parts of a COCO instances file that bbox evaluation needs, held column-wise (one array per field, one
/// entry per annotation in file order) so the evaluator can group and scan them without per-object allocations.
/// </summary>
public sealed class CocoGroundTruth
{
    public required string Source { get; init; }
    /// <summary>Image ids, sorted ascending and unique (pycocotools' params.imgIds).</summary>
    public required long[] ImageIds { get; init; }
    /// <summary>Categories sorted by id (pycocotools' params.catIds order).</summary>
    public required CocoCategory[] Categories { get; init; }
    public required CocoBoxes Annotations { get; init; }

    /// <summary>Reads a COCO instances json; errors name the file and the offending entry.</summary>
    public static CocoGroundTruth Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Annotation file '{path}' does not exist.", path);
        using var doc = CocoJson.Parse(path);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{path}: expected a COCO annotation object with images, annotations and categories.");

        var images = CocoJson.RequireArray(root, "images", path);
        var imageIds = new List<long>(images.GetArrayLength());
        int n = 0;
        foreach (var img in images.EnumerateArray())
            imageIds.Add(CocoJson.RequireId(img, "id", path, $"images[{n++}]"));
        var sortedImages = imageIds.Distinct().Order().ToArray();

        var cats = new List<CocoCategory>();
        n = 0;
        foreach (var c in CocoJson.RequireArray(root, "categories", path).EnumerateArray())
        {
            var where = $"categories[{n++}]";
            long id = CocoJson.RequireId(c, "id", path, where);
            string name = c.TryGetProperty("name", out var nm) && nm.ValueKind == JsonValueKind.String ? nm.GetString()! : id.ToString();
            cats.Add(new CocoCategory(id, name));
        }
        var categories = cats.DistinctBy(c => c.Id).OrderBy(c => c.Id).ToArray();

        var imageIndex = Index(sortedImages);
        var catIndex = Index(categories.Select(c => c.Id).ToArray());
        var anns = CocoJson.RequireArray(root, "annotations", path);
        var boxes = new CocoBoxes(anns.GetArrayLength());
        n = 0;
        foreach (var a in anns.EnumerateArray())
        {
            var where = $"annotations[{n++}]";
            long imageId = CocoJson.RequireId(a, "image_id", path, where);
            long catId = CocoJson.RequireId(a, "category_id", path, where);
            // pycocotools only ever looks up annotations through the listed images and categories.
            if (!imageIndex.TryGetValue(imageId, out int ii) || !catIndex.TryGetValue(catId, out int ci)) continue;
            var bb = CocoJson.RequireBox(a, path, where);
            double area = CocoJson.RequireNumber(a, "area", path, where);
            bool crowd = CocoJson.ReadFlag(a, "iscrowd");
            long id = a.TryGetProperty("id", out var idEl) && idEl.ValueKind == JsonValueKind.Number ? idEl.GetInt64() : 0;
            boxes.Add(ii, ci, bb, area, crowd, id, 0.0);
        }
        return new CocoGroundTruth { Source = path, ImageIds = sortedImages, Categories = categories, Annotations = boxes };
    }

    internal static Dictionary<long, int> Index(long[] ids)
    {
        var d = new Dictionary<long, int>(ids.Length);
        for (int i = 0; i < ids.Length; i++) d[ids[i]] = i;
        return d;
    }
}
