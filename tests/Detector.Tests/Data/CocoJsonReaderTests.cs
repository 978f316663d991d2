using YoloDistill.Detector.Data;
using YoloDistill.Detector.Evaluation;

namespace YoloDistill.Detector.Tests.Data;

/// <summary>One reader, two rule sets: what the loader refuses and what pycocotools' rules let through.</summary>
public class CocoJsonReaderTests
{
    static string Write(string json)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("yd-cocoread-").FullName, "instances.json");
        File.WriteAllText(path, json);
        return path;
    }

    static (CocoJsonReader.Result? Result, List<DatasetProblem> Problems) Read(string path, CocoReadRules rules)
    {
        var problems = new List<DatasetProblem>();
        return (CocoJsonReader.Read(path, problems, rules), problems);
    }

    [Fact]
    public void The_evaluator_needs_only_ids_and_areas_the_loader_needs_files_and_names()
    {
        // An image without file_name or size, a category without a name, an annotation without id.
        var path = Write("""
            {"images": [{"id": 7}], "categories": [{"id": 3}],
             "annotations": [{"image_id": 7, "category_id": 3, "bbox": [1, 2, 3, 4], "area": 10, "iscrowd": true}]}
            """);
        var (eval, evalProblems) = Read(path, CocoReadRules.Evaluator);
        Assert.Empty(evalProblems);
        var a = Assert.Single(eval!.Annotations);
        Assert.Equal((7L, 3, 10.0, true), (a.ImageId, a.CategoryId, a.Area, a.IsCrowd));
        Assert.Equal("3", Assert.Single(eval.Categories).Name);

        var (_, loadProblems) = Read(path, CocoReadRules.Loader);
        Assert.Contains(loadProblems, p => p.Message.Contains("missing or empty 'file_name'"));
        Assert.Contains(loadProblems, p => p.Message.Contains("missing or non-string 'name'"));
        Assert.Contains(loadProblems, p => p.Message.Contains("required field 'id' is missing"));
    }

    [Fact]
    public void A_missing_area_is_width_times_height_for_the_loader_and_an_error_for_the_evaluator()
    {
        var path = Write("""
            {"images": [{"id": 1, "file_name": "a.jpg", "width": 50, "height": 40}], "categories": [{"id": 1, "name": "a"}],
             "annotations": [{"id": 5, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4]}]}
            """);
        var (load, loadProblems) = Read(path, CocoReadRules.Loader);
        Assert.Empty(loadProblems);
        Assert.Equal(12.0, Assert.Single(load!.Annotations).Area);
        var e = Assert.Throws<InvalidDataException>(() => CocoGroundTruth.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("'area'", e.Message);
    }

    [Fact]
    public void Annotations_of_unlisted_images_are_ignored_by_the_evaluator_and_reported_by_the_loader()
    {
        var path = Write("""
            {"images": [{"id": 1, "file_name": "a.jpg", "width": 50, "height": 40}], "categories": [{"id": 1, "name": "a"}],
             "annotations": [{"id": 5, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "area": 12},
                             {"id": 6, "image_id": 99, "category_id": 1, "bbox": "broken"}]}
            """);
        var gt = CocoGroundTruth.Load(path);
        Assert.Equal(1, gt.Annotations.Count);
        var (_, loadProblems) = Read(path, CocoReadRules.Loader);
        Assert.Contains(loadProblems, p => p.Message.Contains("annotations[1] (id 6): 'bbox' must be an array"));
    }
}
