using System.Text.Json;

namespace YoloDistill.Detector.Evaluation;

/// <summary>A COCO results file (list of {image_id, category_id, bbox, score}) read with pycocotools' loadRes semantics.</summary>
public static class CocoDetections
{
    /// <summary>
    /// Reads detections: area = w*h, id = 1..N in file order, iscrowd 0. A detection on an image the ground truth
    /// does not list is an error (pycocotools refuses such files); detections of unknown categories are never
    /// evaluated, so they are dropped.
    /// </summary>
    public static CocoBoxes Load(string path, CocoGroundTruth gt)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Detections file '{path}' does not exist.", path);
        using var doc = CocoJson.Parse(path);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{path}: expected a COCO results list of {{image_id, category_id, bbox, score}}.");
        var imageIndex = CocoGroundTruth.Index(gt.ImageIds);
        var catIndex = CocoGroundTruth.Index(gt.Categories.Select(c => c.Id).ToArray());
        var boxes = new CocoBoxes(root.GetArrayLength());
        int n = 0;
        foreach (var d in root.EnumerateArray())
        {
            var where = $"detection {n}";
            n++;
            long imageId = CocoJson.RequireId(d, "image_id", path, where);
            if (!imageIndex.TryGetValue(imageId, out int ii))
                throw new InvalidDataException($"{path}: {where} has image_id {imageId}, which is not an image of {gt.Source}.");
            long catId = CocoJson.RequireId(d, "category_id", path, where);
            var bb = CocoJson.RequireBox(d, path, where);
            double score = CocoJson.RequireNumber(d, "score", path, where);
            if (!catIndex.TryGetValue(catId, out int ci)) continue;
            boxes.Add(ii, ci, bb, bb.w * bb.h, false, n, score);
        }
        return boxes;
    }
}
