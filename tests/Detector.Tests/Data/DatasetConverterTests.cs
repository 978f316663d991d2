using OpenCvSharp;
using YoloDistill.Detector.Data;
using YoloDistill.Tests;

namespace YoloDistill.Detector.Tests.Data;

/// <summary>Each import format with the faults label exports have, planted: zero-size, out of range, duplicate, unknown class, malformed, no image.</summary>
public class DatasetConverterTests
{
    static string NewDir() => Directory.CreateTempSubdirectory("yd-convert-").FullName;

    /// <summary>64x48 images (black; only their size matters).</summary>
    static string Images(string root, params string[] names)
    {
        var dir = Directory.CreateDirectory(Path.Combine(root, "images")).FullName;
        using var m = new Mat(48, 64, MatType.CV_8UC3, Scalar.All(0));
        foreach (var n in names) Cv2.ImWrite(Path.Combine(dir, n), m);
        return dir;
    }

    [Fact]
    public void Yolo_drops_each_planted_fault_with_its_file_line_and_kind()
    {
        var root = NewDir();
        var images = Images(root, "a.png", "b.png");
        var labels = Directory.CreateDirectory(Path.Combine(root, "labels")).FullName;
        File.WriteAllLines(Path.Combine(labels, "a.txt"), [
            "0 0.5 0.5 0.25 0.5",      // 1 good: 16x24 px at (24, 12)
            "1 0.5 0.5 0 0",           // 2 zero-size
            "1 1.2 0.5 0.1 0.1",       // 3 out of range
            "0 0.5 0.5 0.25 0.5",      // 4 duplicate of 1
            "7 0.5 0.5 0.1 0.1",       // 5 unknown class
            "0 0.5 0.5",               // 6 malformed
            "1 0.1 0.1 0.3 0.1 0.2 0.4", // 7 good polygon
        ]);
        File.WriteAllText(Path.Combine(labels, "gone.txt"), "0 0.5 0.5 0.1 0.1\n"); // no image
        File.WriteAllText(Path.Combine(root, "names.txt"), "cat\ndog\n");

        var r = YoloToCoco.Convert(images, labels, Path.Combine(root, "names.txt"), Path.Combine(root, "out"), "train");

        Assert.Equal(2, r.Images);
        Assert.Equal(1, r.ImagesWithoutBoxes);
        Assert.Equal(2, r.Boxes);
        Assert.Equal([
            ("gone.txt", "", LabelFaultKind.MissingImage),
            ("a.txt", "line 2", LabelFaultKind.Degenerate),
            ("a.txt", "line 3", LabelFaultKind.OutOfRange),
            ("a.txt", "line 4", LabelFaultKind.Duplicate),
            ("a.txt", "line 5", LabelFaultKind.UnknownClass),
            ("a.txt", "line 6", LabelFaultKind.Malformed),
        ], r.Faults.Select(f => (Path.GetFileName(f.File), f.Where, f.Kind)));
        var ds = CocoDataset.Load(Path.Combine(root, "out"), "train");
        var a = ds.Images.Single(i => i.FileName == "a.png");
        Assert.Equal(2, a.Labels.Length);
        Assert.Equal((0, 24f, 12f, 40f, 36f), (a.Labels[0].Class, a.Labels[0].X1, a.Labels[0].Y1, a.Labels[0].X2, a.Labels[0].Y2));
        Assert.Equal((1, 6.4f, 4.8f, 19.2f, 19.2f), (a.Labels[1].Class, a.Labels[1].X1, a.Labels[1].Y1, a.Labels[1].X2, a.Labels[1].Y2));
    }

    [Fact]
    public void Strict_stops_at_the_first_fault_and_leaves_the_earlier_split_untouched()
    {
        var root = NewDir();
        var images = Images(root, "a.png");
        var labels = Directory.CreateDirectory(Path.Combine(root, "labels")).FullName;
        File.WriteAllText(Path.Combine(root, "names.txt"), "cat\n");
        var label = Path.Combine(labels, "a.txt");
        File.WriteAllText(label, "0 0.5 0.5 0.2 0.2\n");
        var outRoot = Path.Combine(root, "out");
        YoloToCoco.Convert(images, labels, Path.Combine(root, "names.txt"), outRoot, "train");
        var json = Path.Combine(outRoot, "annotations", "instances_train.json");
        var before = File.ReadAllText(json);

        File.WriteAllText(label, "0 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2 0\n");
        var e = Assert.Throws<InvalidDataException>(() => YoloToCoco.Convert(images, labels, Path.Combine(root, "names.txt"), outRoot, "train", strict: true));
        Assert.Contains($"{label} (line 2): zero-size box", e.Message);
        Assert.Equal(before, File.ReadAllText(json));
        Assert.True(File.Exists(Path.Combine(outRoot, "train", "a.png")));
        Assert.Equal(["annotations", "train"], Directory.GetFileSystemEntries(outRoot).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void A_cancelled_conversion_writes_nothing()
    {
        var root = NewDir();
        var images = Images(root, "a.png", "b.png");
        File.WriteAllText(Path.Combine(root, "names.txt"), "cat\n");
        var labels = Directory.CreateDirectory(Path.Combine(root, "labels")).FullName;
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var outRoot = Path.Combine(root, "out");
        Assert.ThrowsAny<OperationCanceledException>(() => YoloToCoco.Convert(images, labels, Path.Combine(root, "names.txt"), outRoot, "train", ct: cts.Token));
        Assert.Empty(Directory.GetFileSystemEntries(outRoot));
    }

    static string Voc(string file, int w, int h, params (string Name, int Difficult, string? Box)[] objects) =>
        $"<annotation><folder>x</folder><filename>{file}</filename><size><width>{w}</width><height>{h}</height><depth>3</depth></size>"
        + string.Concat(objects.Select(o => $"<object><name>{o.Name}</name><difficult>{o.Difficult}</difficult>"
            + (o.Box is null ? "" : "<bndbox>" + string.Concat(o.Box.Split(' ').Zip(new[] { "xmin", "ymin", "xmax", "ymax" }, (v, k) => $"<{k}>{v}</{k}>")) + "</bndbox>")
            + "</object>"))
        + "</annotation>";

    [Fact]
    public void Voc_converts_as_ultralytics_does_and_drops_the_planted_faults()
    {
        var root = NewDir();
        var images = Images(root, "a.png", "b.png", "c.png");
        var xml = Directory.CreateDirectory(Path.Combine(root, "xml")).FullName;
        File.WriteAllText(Path.Combine(xml, "a.xml"), Voc("a.png", 64, 48,
            ("dog", 0, "11 21 31 41"),     // 1 good: [10, 20, 20, 20] (VOC pixels are 1-based)
            ("dog", 0, "11 21 11 41"),     // 2 zero-size
            ("cat", 0, "11 21 99 41"),     // 3 out of range
            ("dog", 0, "11 21 31 41"),     // 4 duplicate
            ("cat", 1, "1 1 9 9"),         // 5 difficult: skipped, as Ultralytics' VOC.yaml does
            ("cat", 0, null),              // 6 no bndbox
            ("cat", 0, "0.5 1 64.5 48")));  // 7 good, slightly past the image: clipped
        File.WriteAllText(Path.Combine(xml, "b.xml"), Voc("renamed-by-the-tool.png", 64, 48, ("cat", 0, "1 1 9 9"))); // found by its own name
        File.WriteAllText(Path.Combine(xml, "gone.xml"), Voc("gone.png", 64, 48, ("cat", 0, "1 1 9 9")));
        File.WriteAllText(Path.Combine(xml, "broken.xml"), "<annotation><object>");

        var r = VocToCoco.Convert(images, xml, null, Path.Combine(root, "out"), "val");

        Assert.Equal(["cat", "dog"], r.Names);
        Assert.Equal((3, 1, 3, 1), (r.Images, r.ImagesWithoutBoxes, r.Boxes, r.Difficult));
        Assert.Equal([
            ("broken.xml", LabelFaultKind.Malformed),
            ("gone.xml", LabelFaultKind.MissingImage),
            ("a.xml", LabelFaultKind.Degenerate),
            ("a.xml", LabelFaultKind.OutOfRange),
            ("a.xml", LabelFaultKind.Duplicate),
            ("a.xml", LabelFaultKind.Malformed),
        ], r.Faults.Select(f => (Path.GetFileName(f.File), f.Kind)));
        Assert.Equal(["object 2 'dog'", "object 3 'cat'", "object 4 'dog'", "object 6 'cat'"], r.Faults.Skip(2).Select(f => f.Where));
        var ds = CocoDataset.Load(Path.Combine(root, "out"), "val");
        var a = ds.Images.Single(i => i.FileName == "a.png").Labels;
        Assert.Equal((1, 10f, 20f, 30f, 40f), (a[0].Class, a[0].X1, a[0].Y1, a[0].X2, a[0].Y2));
        Assert.Equal((0, 0f, 0f, 63.5f, 47f), (a[1].Class, a[1].X1, a[1].Y1, a[1].X2, a[1].Y2));
        Assert.Single(ds.Images.Single(i => i.FileName == "b.png").Labels);
    }

    [Fact]
    public void Voc_with_a_names_file_keeps_its_order_and_reports_other_names()
    {
        var root = NewDir();
        var images = Images(root, "a.png");
        var xml = Directory.CreateDirectory(Path.Combine(root, "xml")).FullName;
        File.WriteAllText(Path.Combine(xml, "a.xml"), Voc("a.png", 64, 48, ("dog", 0, "1 1 9 9"), ("bird", 0, "1 1 9 9")));
        File.WriteAllText(Path.Combine(root, "names.txt"), "dog\ncat\n");
        var r = VocToCoco.Convert(images, xml, Path.Combine(root, "names.txt"), Path.Combine(root, "out"), "val");
        Assert.Equal(["dog", "cat"], r.Names);
        var f = Assert.Single(r.Faults);
        Assert.Equal((LabelFaultKind.UnknownClass, "object 2 'bird'"), (f.Kind, f.Where));
        Assert.Equal(0, CocoDataset.Load(Path.Combine(root, "out"), "val").Images[0].Labels[0].Class);
    }

    [Fact]
    public void Coco_from_another_tool_is_normalised_and_its_faults_dropped()
    {
        var root = NewDir();
        var images = Images(root, "a.png", "b.png");
        var json = Path.Combine(root, "export.json");
        File.WriteAllText(json, """
        {"images": [
           {"id": 7, "file_name": "upload/1/a.png", "width": 64, "height": 48},
           {"id": 9, "file_name": "b.png"},
           {"id": 11, "file_name": "gone.png", "width": 64, "height": 48}],
         "categories": [{"id": 5, "name": "dog"}, {"id": 3, "name": "cat", "supercategory": "animal"}],
         "annotations": [
           {"id": 1, "image_id": 7, "category_id": 5, "bbox": [10, 20, 20, 20], "iscrowd": 0, "segmentation": [[1, 2, 3, 4]]},
           {"id": 2, "image_id": 7, "category_id": 5, "bbox": [10, 20, 0, 20]},
           {"id": 3, "image_id": 7, "category_id": 3, "bbox": [50, 20, 30, 20]},
           {"id": 4, "image_id": 7, "category_id": 5, "bbox": [10, 20, 20, 20]},
           {"id": 5, "image_id": 7, "category_id": 4, "bbox": [1, 1, 5, 5]},
           {"id": 6, "image_id": 8, "category_id": 3, "bbox": [1, 1, 5, 5]},
           {"id": 7, "image_id": 11, "category_id": 3, "bbox": [1, 1, 5, 5]},
           {"id": 8, "image_id": 9, "category_id": 3, "bbox": [1, 1, 5, 5], "iscrowd": 1},
           {"id": 9, "image_id": 9, "category_id": 3, "bbox": [1, 1, 5]}]}
        """);

        var r = CocoImport.Convert(images, json, Path.Combine(root, "out"), "train");

        Assert.Equal(["cat", "dog"], r.Names);
        Assert.Equal((2, 1, 2), (r.Images, r.ImagesWithoutBoxes, r.Boxes)); // image 9 keeps only a crowd box: no training target
        Assert.Equal([
            ("image id 11", LabelFaultKind.MissingImage),
            ("annotation id 2", LabelFaultKind.Degenerate),
            ("annotation id 3", LabelFaultKind.OutOfRange),
            ("annotation id 4", LabelFaultKind.Duplicate),
            ("annotation id 5", LabelFaultKind.UnknownClass),
            ("annotation id 6", LabelFaultKind.MissingImage),
            ("annotation id 9", LabelFaultKind.Malformed),
        ], r.Faults.Select(f => (f.Where, f.Kind)));
        var ds = CocoDataset.Load(Path.Combine(root, "out"), "train");
        Assert.Equal([3, 5], ds.ClassToCategoryId);
        Assert.Equal("animal", ds.Categories[0].Supercategory);
        var a = ds.Images.Single(i => i.FileName == "a.png");
        Assert.Equal((64, 48), (a.Width, a.Height));
        Assert.Equal((1, 10f, 20f, 30f, 40f), (a.Labels[0].Class, a.Labels[0].X1, a.Labels[0].Y1, a.Labels[0].X2, a.Labels[0].Y2));
        Assert.Single(ds.Images.Single(i => i.FileName == "b.png").Crowd);
    }

    [Fact]
    public void Coco_without_arrays_is_an_error_naming_the_file()
    {
        var root = NewDir();
        var images = Images(root, "a.png");
        var json = Path.Combine(root, "export.json");
        File.WriteAllText(json, """{"images": []}""");
        var e = Assert.Throws<InvalidDataException>(() => CocoImport.Convert(images, json, Path.Combine(root, "out"), "train"));
        Assert.Contains($"{json}: no 'categories' array", e.Message);
    }

    [Fact]
    public void Aquarium_test_split_converts_with_its_two_zero_size_boxes_dropped()
    {
        var aq = RefData.Require("data/aquarium");
        var r = DatasetConverter.Convert(new ConvertOptions
        {
            Format = LabelFormat.Yolo,
            Images = Path.Combine(aq, "test", "images"),
            Labels = Path.Combine(aq, "test", "labels"),
            Names = Path.Combine(aq, "data.yaml"),
            Out = Path.Combine(NewDir(), "aquarium"),
            Split = "test",
        });
        Assert.Equal((63, 582), (r.Images, r.Boxes));
        Assert.Equal(["IMG_2423_jpeg_jpg.rf.1c0901882e71d5ebd26f036f4e22da65.txt", "IMG_2570_jpeg_jpg.rf.ed40900b657a5b23d92cb2d296ad2dbc.txt"],
            r.Faults.Select(f => Path.GetFileName(f.File)));
        Assert.All(r.Faults, f => Assert.Equal(LabelFaultKind.Degenerate, f.Kind));
    }
}
