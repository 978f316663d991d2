using OpenCvSharp;
using YoloDistill.Detector.Data;
using YoloDistill.Tests;

namespace YoloDistill.Detector.Tests.Data;

public class DatasetCheckerTests
{
    static CheckReport Check(string root) => DatasetChecker.Check(root, "train");

    static void AssertProblem(CheckReport r, string fileEnd, string text, bool fatal = true)
    {
        Assert.True(r.Problems.Any(p => p.File.EndsWith(fileEnd) && p.Message.Contains(text) && p.Fatal == fatal),
            $"expected a problem on *{fileEnd} containing '{text}', got:\n" + string.Join("\n", r.Problems));
    }

    [Fact]
    public void Coco128_is_clean_with_its_counts()
    {
        var r = DatasetChecker.Check(RefData.Require("data/coco128"), "train2017");
        Assert.Empty(r.Problems);
        Assert.Equal(128, r.Images);
        Assert.Equal(929, r.Boxes);
        Assert.Equal(71, r.BoxesPerClass.Count(c => c > 0));
        Assert.Equal(254, r.BoxesPerClass[0]); // person
        Assert.Equal((337, 281, 311), (r.Small, r.Medium, r.Large));
        Assert.Equal(929, r.Small + r.Medium + r.Large);
    }

    [Fact]
    public void Missing_image_file()
    {
        var root = TinyDataset.Create(new TinyDataset.Spec { Images = 2 });
        File.Delete(Path.Combine(root, "train", "im2.jpg"));
        var r = Check(root);
        AssertProblem(r, "im2.jpg", "image file not found");
        Assert.Equal([Path.Combine(root, "train", "im2.jpg")], r.BadImages);
    }

    [Fact]
    public void Truncated_jpeg()
    {
        var root = TinyDataset.Create(new TinyDataset.Spec());
        var f = Path.Combine(root, "train", "im1.jpg");
        var bytes = File.ReadAllBytes(f);
        File.WriteAllBytes(f, bytes[..(bytes.Length / 2)]);
        AssertProblem(Check(root), "im1.jpg", "truncated JPEG");
    }

    [Fact]
    public void Garbage_image_file()
    {
        var root = TinyDataset.Create(new TinyDataset.Spec { Extension = ".png" });
        File.WriteAllText(Path.Combine(root, "train", "im1.png"), "this is not an image at all");
        AssertProblem(Check(root), "im1.png", "cannot be decoded");
    }

    [Fact]
    public void Jpeg_without_frame_header()
    {
        var root = TinyDataset.Create(new TinyDataset.Spec());
        File.WriteAllBytes(Path.Combine(root, "train", "im1.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xD9]);
        AssertProblem(Check(root), "im1.jpg", "unreadable JPEG header");
    }

    [Fact]
    public void Size_in_json_differs_from_the_file()
    {
        var root = TinyDataset.Create(new TinyDataset.Spec());
        using (var m = new Mat(50, 60, MatType.CV_8UC3, Scalar.All(1))) Cv2.ImWrite(Path.Combine(root, "train", "im1.jpg"), m);
        AssertProblem(Check(root), "im1.jpg", "(100x80) does not match the file (60x50)");
    }

    [Theory]
    [InlineData("{\"images\": [", "not valid JSON")]
    [InlineData("[1, 2]", "top level must be a JSON object")]
    [InlineData("{\"images\": [], \"categories\": []}", "required field 'annotations' is missing")]
    [InlineData("{\"images\": {}, \"annotations\": [], \"categories\": [{\"id\": 1, \"name\": \"a\"}]}", "field 'images' must be an array")]
    [InlineData("{\"images\": [], \"annotations\": [], \"categories\": [{\"id\": 1}]}", "missing or non-string 'name'")]
    [InlineData("{\"images\": [{\"id\": 1, \"width\": 100, \"height\": 80}], \"annotations\": [], \"categories\": [{\"id\": 1, \"name\": \"a\"}]}", "missing or empty 'file_name'")]
    [InlineData("{\"images\": [{\"id\": 1, \"file_name\": \"im1.jpg\", \"height\": 80}], \"annotations\": [], \"categories\": [{\"id\": 1, \"name\": \"a\"}]}", "required field 'width' is missing")]
    public void Broken_json(string json, string message)
    {
        var root = TinyDataset.Create(new TinyDataset.Spec { Json = json });
        var r = Check(root);
        AssertProblem(r, "instances_train.json", message);
        Assert.True(r.HasFatal);
        var e = Assert.Throws<InvalidDataException>(() => CocoDataset.Load(root, "train"));
        Assert.Contains("instances_train.json", e.Message);
    }

    const string Cats = "\"categories\": [{\"id\": 1, \"name\": \"a\"}]";
    const string OneImage = "\"images\": [{\"id\": 1, \"file_name\": \"im1.jpg\", \"width\": 100, \"height\": 80}]";

    [Theory]
    [InlineData("{\"id\": 1, \"image_id\": 1, \"category_id\": 1}", "'bbox' must be an array of 4 numbers", true)]
    [InlineData("{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3]}", "'bbox' must be an array of 4 numbers", true)]
    [InlineData("{\"id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4]}", "required field 'image_id' is missing", true)]
    [InlineData("{\"id\": 1, \"image_id\": 1, \"bbox\": [1, 2, 3, 4]}", "required field 'category_id' is missing", true)]
    [InlineData("{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, \"x\", 3, 4]}", "non-numeric or non-finite", true)]
    [InlineData("{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 1e999, 3, 4]}", "non-numeric or non-finite", true)]
    [InlineData("{\"id\": 1, \"image_id\": 7, \"category_id\": 1, \"bbox\": [1, 2, 3, 4]}", "refers to unknown image id 7", true)]
    [InlineData("{\"id\": 1, \"image_id\": 1, \"category_id\": 5, \"bbox\": [1, 2, 3, 4]}", "refers to unknown category id 5", true)]
    [InlineData("{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 0, 4]}", "non-positive box size", false)]
    [InlineData("{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, -4]}", "non-positive box size", false)]
    [InlineData("{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4]}, {\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"bbox\": [5, 6, 7, 8]}", "duplicate annotation id 1", false)]
    public void Bad_annotations(string annotations, string message, bool fatal)
    {
        var root = TinyDataset.Create(new TinyDataset.Spec { Json = $"{{{OneImage}, \"annotations\": [{annotations}], {Cats}}}" });
        var r = Check(root);
        AssertProblem(r, "instances_train.json", message, fatal);
        Assert.Empty(r.BadImages);
        if (fatal)
        {
            Assert.Throws<InvalidDataException>(() => CocoDataset.Load(root, "train"));
            // skip-bad leaves the annotation out and keeps the image
            var ds = CocoDataset.Load(root, "train", skipBad: true);
            Assert.Single(ds.Images);
            Assert.Contains(ds.Problems, p => p.Message.Contains(message));
        }
        else Assert.Single(CocoDataset.Load(root, "train").Images);
    }

    [Fact]
    public void Duplicate_image_ids()
    {
        var json = $"{{\"images\": [{{\"id\": 1, \"file_name\": \"im1.jpg\", \"width\": 100, \"height\": 80}}, {{\"id\": 1, \"file_name\": \"im2.jpg\", \"width\": 100, \"height\": 80}}], \"annotations\": [], {Cats}}}";
        var root = TinyDataset.Create(new TinyDataset.Spec { Images = 2, Json = json });
        AssertProblem(Check(root), "instances_train.json", "duplicate image id 1");
    }

    [Fact]
    public void Skip_bad_excludes_bad_images_and_lists_them()
    {
        var root = TinyDataset.Create(new TinyDataset.Spec { Images = 3 });
        File.Delete(Path.Combine(root, "train", "im2.jpg"));
        var f3 = Path.Combine(root, "train", "im3.jpg");
        File.WriteAllBytes(f3, File.ReadAllBytes(f3)[..200]);
        var ds = CocoDataset.Load(root, "train", skipBad: true);
        Assert.Equal(["im1.jpg"], ds.Images.Select(i => i.FileName));
        Assert.Equal(2, ds.ExcludedImages.Count);
        // and the loader runs over what is left without a problem
        using var loader = new DetectionLoader(ds, LoaderOptions.Validation(64, 4, 1));
        using var b = loader.Epoch(0).Single();
        Assert.Equal(1, b.Count);
    }

    [Fact]
    public void Loader_names_the_file_when_an_unchecked_image_is_corrupt()
    {
        var root = TinyDataset.Create(new TinyDataset.Spec { Images = 3, Extension = ".png" });
        File.WriteAllText(Path.Combine(root, "train", "im2.png"), "garbage");
        var ds = CocoDataset.Load(root, "train");
        using var loader = new DetectionLoader(ds, new LoaderOptions { ImgSize = 64, BatchSize = 1, Workers = 2, Augment = false });
        var e = Assert.Throws<InvalidDataException>(() => { foreach (var b in loader.Epoch(0)) b.Dispose(); });
        Assert.Contains("im2.png", e.Message);
        Assert.Contains("cannot be decoded", e.Message);
    }

    [Fact]
    public void Loader_names_the_file_when_an_unchecked_image_has_another_size()
    {
        var root = TinyDataset.Create(new TinyDataset.Spec { Images = 2 });
        using (var m = new Mat(50, 60, MatType.CV_8UC3, Scalar.All(1))) Cv2.ImWrite(Path.Combine(root, "train", "im2.jpg"), m);
        using var loader = new DetectionLoader(CocoDataset.Load(root, "train"), LoaderOptions.Validation(64, 1, 1));
        var e = Assert.Throws<InvalidDataException>(() => { foreach (var b in loader.Epoch(0)) b.Dispose(); });
        Assert.Contains("im2.jpg", e.Message);
        Assert.Contains("60x50", e.Message);
    }
}
