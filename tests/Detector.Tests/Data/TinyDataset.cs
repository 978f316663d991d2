using OpenCvSharp;

namespace YoloDistill.Detector.Tests.Data;

/// <summary>Builds small COCO datasets in temp folders (100x80 images), optionally broken on purpose.</summary>
internal static class TinyDataset
{
    public sealed class Spec
    {
        public int Images { get; init; } = 1;
        /// <summary>bbox JSON arrays for image 1, category 1.</summary>
        public string[] Annotations { get; init; } = ["[10, 10, 30, 20]"];
        /// <summary>Replaces the whole JSON text when set.</summary>
        public string? Json { get; init; }
        public string Extension { get; init; } = ".jpg";
    }

    public static string Create(Spec spec)
    {
        var root = Directory.CreateTempSubdirectory("yd-data-").FullName;
        var imgDir = Directory.CreateDirectory(Path.Combine(root, "train")).FullName;
        Directory.CreateDirectory(Path.Combine(root, "annotations"));
        var images = new List<string>();
        for (int i = 1; i <= spec.Images; i++)
        {
            using var m = new Mat(80, 100, MatType.CV_8UC3, new Scalar(40 * i % 255, 90, 200));
            Cv2.Rectangle(m, new Rect(10, 10, 30, 20), new Scalar(0, 0, 255), -1);
            var name = $"im{i}{spec.Extension}";
            Cv2.ImWrite(Path.Combine(imgDir, name), m);
            images.Add($$"""{"id": {{i}}, "file_name": "{{name}}", "width": 100, "height": 80}""");
        }
        var anns = spec.Annotations.Select((b, k) => $$"""{"id": {{k + 1}}, "image_id": 1, "category_id": 1, "bbox": {{b}}, "iscrowd": 0}""");
        var json = spec.Json ?? $$"""
            {"images": [{{string.Join(",", images)}}],
             "annotations": [{{string.Join(",", anns)}}],
             "categories": [{"id": 1, "name": "box"}, {"id": 3, "name": "other"}]}
            """;
        File.WriteAllText(Path.Combine(root, "annotations", "instances_train.json"), json);
        return root;
    }

    public static string Json(string root) => Path.Combine(root, "annotations", "instances_train.json");
}
