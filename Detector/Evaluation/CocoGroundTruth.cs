using YoloDistill.Detector.Data;

namespace YoloDistill.Detector.Evaluation;

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

    /// <summary>
    /// Reads a COCO instances json with pycocotools' rules (<see cref="CocoReadRules.Evaluator"/>); the first problem
    /// is an error naming the file and the offending entry.
    /// </summary>
    public static CocoGroundTruth Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Annotation file '{path}' does not exist.", path);
        var problems = new List<DatasetProblem>();
        var raw = CocoJsonReader.Read(path, problems, CocoReadRules.Evaluator);
        if (raw is null || problems.Count > 0)
            throw new InvalidDataException($"{path}: {problems.FirstOrDefault()?.Message ?? "unreadable"}");

        var sortedImages = raw.Images.Select(im => im.Id).Distinct().Order().ToArray();
        var categories = raw.Categories.DistinctBy(c => c.Id).OrderBy(c => c.Id).Select(c => new CocoCategory(c.Id, c.Name, c.Supercategory)).ToArray();
        var imageIndex = Index(sortedImages);
        var catIndex = Index(categories.Select(c => c.Id).ToArray());
        var boxes = new CocoBoxes(raw.Annotations.Count);
        foreach (var a in raw.Annotations)
            boxes.Add(imageIndex[a.ImageId], catIndex[a.CategoryId], (a.X, a.Y, a.Width, a.Height), a.Area, a.IsCrowd, a.Id, 0.0);
        return new CocoGroundTruth { Source = path, ImageIds = sortedImages, Categories = categories, Annotations = boxes };
    }

    internal static Dictionary<long, int> Index(long[] ids)
    {
        var d = new Dictionary<long, int>(ids.Length);
        for (int i = 0; i < ids.Length; i++) d[ids[i]] = i;
        return d;
    }
}
