using System.Text.Json;

namespace YoloDistill.Detector.Data;

/// <summary>
/// The one reader of COCO instances JSON (images, annotations, categories), for the dataset loader and the evaluator
/// alike; <see cref="CocoReadRules"/> says what each needs. Every structural problem is recorded instead of stopping
/// at the first, so a checker can list them all; items with problems are left out of the result and the caller
/// decides whether that is acceptable.
/// </summary>
internal static class CocoJsonReader
{
    internal sealed record CategoryEntry(long Id, string Name, string? Supercategory);

    /// <summary>An image as listed; under rules that do not need files, FileName may be empty and the size 0.</summary>
    internal sealed record ImageEntry(long Id, string FileName, int Width, int Height);

    internal sealed class Result
    {
        public List<CategoryEntry> Categories { get; } = [];
        public List<ImageEntry> Images { get; } = [];
        public List<CocoAnnotation> Annotations { get; } = [];
    }

    /// <summary>Returns null when the document as a whole is unusable (not found, not JSON, no images/annotations/categories).</summary>
    public static Result? Read(string jsonPath, List<DatasetProblem> problems, CocoReadRules rules)
    {
        if (!File.Exists(jsonPath))
        {
            problems.Add(new DatasetProblem(jsonPath, "annotations file not found", Fatal: true));
            return null;
        }
        JsonDocument doc;
        try
        {
            using var stream = File.OpenRead(jsonPath);
            doc = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 512 });
        }
        catch (JsonException e)
        {
            problems.Add(new DatasetProblem(jsonPath, $"not valid JSON: {e.Message}", Fatal: true));
            return null;
        }
        catch (IOException e)
        {
            problems.Add(new DatasetProblem(jsonPath, $"cannot be read: {e.Message}", Fatal: true));
            return null;
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                problems.Add(new DatasetProblem(jsonPath, $"top level must be a JSON object, found {root.ValueKind}", Fatal: true));
                return null;
            }
            bool ok = true;
            foreach (var key in new[] { "images", "annotations", "categories" })
            {
                if (!root.TryGetProperty(key, out var el))
                {
                    problems.Add(new DatasetProblem(jsonPath, $"required field '{key}' is missing", Fatal: true));
                    ok = false;
                }
                else if (el.ValueKind != JsonValueKind.Array)
                {
                    problems.Add(new DatasetProblem(jsonPath, $"field '{key}' must be an array, found {el.ValueKind}", Fatal: true));
                    ok = false;
                }
            }
            if (!ok) return null;

            var result = new Result();
            ReadCategories(jsonPath, root.GetProperty("categories"), rules, result, problems);
            ReadImages(jsonPath, root.GetProperty("images"), rules, result, problems);
            ReadAnnotations(jsonPath, root.GetProperty("annotations"), rules, result, problems);
            return result;
        }
    }

    static void ReadCategories(string file, JsonElement arr, CocoReadRules rules, Result result, List<DatasetProblem> problems)
    {
        int i = 0;
        foreach (var c in arr.EnumerateArray())
        {
            string where = $"categories[{i++}]";
            if (!TryInt64(c, "id", out long id, out var why))
            {
                problems.Add(new DatasetProblem(file, $"{where}: {why}", Fatal: true));
                continue;
            }
            string? name = c.TryGetProperty("name", out var nameEl) && nameEl.ValueKind == JsonValueKind.String ? nameEl.GetString() : null;
            if (name is null && rules.CategoriesNeedNames)
            {
                problems.Add(new DatasetProblem(file, $"{where} (id {id}): missing or non-string 'name'", Fatal: true));
                continue;
            }
            string? super = c.TryGetProperty("supercategory", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            result.Categories.Add(new CategoryEntry(id, name ?? id.ToString(System.Globalization.CultureInfo.InvariantCulture), super));
        }
    }

    static void ReadImages(string file, JsonElement arr, CocoReadRules rules, Result result, List<DatasetProblem> problems)
    {
        int i = 0;
        foreach (var im in arr.EnumerateArray())
        {
            string where = $"images[{i++}]";
            if (!TryInt64(im, "id", out long id, out var why))
            {
                problems.Add(new DatasetProblem(file, $"{where}: {why}", Fatal: true, Skippable: true));
                continue;
            }
            if (!rules.ImagesNeedFiles)
            {
                result.Images.Add(new ImageEntry(id, "", 0, 0));
                continue;
            }
            if (!im.TryGetProperty("file_name", out var fn) || fn.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(fn.GetString()))
            {
                problems.Add(new DatasetProblem(file, $"{where} (id {id}): missing or empty 'file_name'", Fatal: true, Skippable: true));
                continue;
            }
            if (!TryInt64(im, "width", out long w, out why) || !TryInt64(im, "height", out long h, out why))
            {
                problems.Add(new DatasetProblem(file, $"{where} (id {id}): {why}", Fatal: true, Skippable: true));
                continue;
            }
            if (w <= 0 || h <= 0)
            {
                problems.Add(new DatasetProblem(file, $"{where} (id {id}): non-positive size {w}x{h}", Fatal: true, Skippable: true));
                continue;
            }
            result.Images.Add(new ImageEntry(id, fn.GetString()!, (int)w, (int)h));
        }
    }

    static void ReadAnnotations(string file, JsonElement arr, CocoReadRules rules, Result result, List<DatasetProblem> problems)
    {
        var listedImages = rules.IgnoreUnlisted ? result.Images.Select(im => im.Id).ToHashSet() : null;
        var listedCategories = rules.IgnoreUnlisted ? result.Categories.Select(c => c.Id).ToHashSet() : null;
        int i = 0;
        foreach (var a in arr.EnumerateArray())
        {
            string where = $"annotations[{i++}]";
            long id = 0;
            string? why = null;
            if ((rules.AnnotationIdRequired && !TryInt64(a, "id", out id, out why))
                || !TryInt64(a, "image_id", out long imageId, out why)
                || !TryInt64(a, "category_id", out long categoryId, out why))
            {
                problems.Add(new DatasetProblem(file, $"{where}: {why}", Fatal: true, Skippable: true));
                continue;
            }
            if (!rules.AnnotationIdRequired) TryInt64(a, "id", out id, out _);
            if (listedImages is not null && (!listedImages.Contains(imageId) || !listedCategories!.Contains(categoryId))) continue;
            if (!a.TryGetProperty("bbox", out var bb) || bb.ValueKind != JsonValueKind.Array || bb.GetArrayLength() != 4)
            {
                problems.Add(new DatasetProblem(file, $"{where} (id {id}): 'bbox' must be an array of 4 numbers [x, y, w, h]", Fatal: true, Skippable: true));
                continue;
            }
            var v = new double[4];
            bool numeric = true;
            for (int k = 0; k < 4; k++)
            {
                var e = bb[k];
                if (e.ValueKind != JsonValueKind.Number || !e.TryGetDouble(out v[k])) numeric = false;
            }
            if (!numeric || v.Any(x => !double.IsFinite(x)))
            {
                problems.Add(new DatasetProblem(file, $"{where} (id {id}): 'bbox' holds a non-numeric or non-finite value", Fatal: true, Skippable: true));
                continue;
            }
            bool hasArea = a.TryGetProperty("area", out var ar) && ar.ValueKind == JsonValueKind.Number && ar.TryGetDouble(out double av) && double.IsFinite(av);
            if (!hasArea && rules.AreaRequired)
            {
                problems.Add(new DatasetProblem(file, $"{where} (id {id}): missing or non-numeric 'area'", Fatal: true, Skippable: true));
                continue;
            }
            double area = hasArea ? ar.GetDouble() : v[2] * v[3];
            result.Annotations.Add(new CocoAnnotation(id, imageId, (int)categoryId, v[0], v[1], v[2], v[3], area, IsCrowd(a)));
        }
    }

    /// <summary>pycocotools tests iscrowd for truth: true or any non-zero number.</summary>
    static bool IsCrowd(JsonElement a) =>
        a.TryGetProperty("iscrowd", out var el)
        && (el.ValueKind == JsonValueKind.True || el.ValueKind == JsonValueKind.Number && el.TryGetDouble(out double d) && d != 0);

    static bool TryInt64(JsonElement obj, string name, out long value, out string? why)
    {
        value = 0;
        why = null;
        if (obj.ValueKind != JsonValueKind.Object)
        {
            why = $"must be a JSON object, found {obj.ValueKind}";
            return false;
        }
        if (!obj.TryGetProperty(name, out var el))
        {
            why = $"required field '{name}' is missing";
            return false;
        }
        if (el.ValueKind == JsonValueKind.Number)
        {
            if (el.TryGetInt64(out value)) return true;
            if (el.TryGetDouble(out double d) && double.IsFinite(d) && Math.Floor(d) == d && Math.Abs(d) < 9e15)
            {
                value = (long)d;
                return true;
            }
        }
        why = $"'{name}' must be an integer, found {el.GetRawText()}";
        return false;
    }
}
