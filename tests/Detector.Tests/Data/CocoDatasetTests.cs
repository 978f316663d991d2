using YoloDistill.Detector.Data;
using YoloDistill.Tests;

namespace YoloDistill.Detector.Tests.Data;

public class CocoDatasetTests
{
    [Fact]
    public void Coco128_has_its_known_counts_and_contiguous_classes()
    {
        var ds = CocoDataset.Load(RefData.Require("data/coco128"), "train2017");
        Assert.Equal(128, ds.Count);
        Assert.Equal(929, ds.Images.Sum(i => i.Labels.Length));
        Assert.Equal(80, ds.NumClasses);
        Assert.Equal(71, ds.Images.SelectMany(i => i.Labels).Select(b => b.Class).Distinct().Count());
        Assert.Equal(2, ds.Images.Count(i => i.Labels.Length == 0));
        Assert.Equal(0, ds.DroppedBoxes);
        // official ids 1..90 with gaps -> 0..79 in ascending id order
        Assert.Equal("person", ds.Names[0]);
        Assert.Equal("toothbrush", ds.Names[79]);
        Assert.Equal(1, ds.ClassToCategoryId[0]);
        Assert.Equal(90, ds.ClassToCategoryId[79]);
        Assert.Equal(13, ds.ClassToCategoryId[11]); // stop sign: id 12 is unused in COCO
        Assert.All(ds.Images, im => Assert.True(File.Exists(im.Path), im.Path));
        Assert.All(ds.Images.SelectMany(i => i.Labels.Select(b => (i, b))),
            x => Assert.True(x.b.X1 >= 0 && x.b.Y1 >= 0 && x.b.X2 <= x.i.Width && x.b.Y2 <= x.i.Height && x.b.Width >= 1 && x.b.Height >= 1));
    }

    [Fact]
    public void Val2017_mini_keeps_crowd_boxes_out_of_the_targets()
    {
        var root = RefData.Require("data/val2017-mini");
        var ds = CocoDataset.Load(Path.Combine(root, "val2017"), Path.Combine(root, "annotations", "instances_val2017.json"));
        Assert.Equal(158, ds.Count);
        Assert.Equal(1424, ds.Annotations.Count);
        Assert.Equal(16, ds.Annotations.Count(a => a.IsCrowd));
        Assert.Equal(16, ds.Images.Sum(i => i.Crowd.Length));
        // the README's YOLO labels skip exactly the 16 crowd boxes -> 1408 training boxes
        Assert.Equal(1408, ds.Images.Sum(i => i.Labels.Length));
        // a box from the JSON, mapped: image 435206's annotations keep their official category through ClassToCategoryId
        var a = ds.Annotations.First(x => !x.IsCrowd);
        var im = ds.Images.Single(i => i.Id == a.ImageId);
        Assert.Contains(im.Labels, b => ds.ClassToCategoryId[b.Class] == a.CategoryId && Math.Abs(b.X1 - a.X) < 1e-3 && Math.Abs(b.Y1 - a.Y) < 1e-3);
    }

    [Fact]
    public void Boxes_are_clipped_and_tiny_ones_dropped_and_counted()
    {
        var dir = TinyDataset.Create(new TinyDataset.Spec
        {
            Annotations = ["[-10, -5, 30, 20]", "[95, 10, 20, 10]", "[50, 50, 0.5, 10]", "[99.5, 10, 10, 10]"],
        });
        var ds = CocoDataset.Load(dir, "train");
        var labels = ds.Images[0].Labels;
        Assert.Equal(2, labels.Length);
        Assert.Equal(new BoxLabel(0, 0, 0, 20, 15), labels[0]);
        Assert.Equal(new BoxLabel(0, 95, 10, 100, 20), labels[1]);
        Assert.Equal(2, ds.DroppedBoxes);
    }

    [Fact]
    public void Missing_annotations_file_names_the_expected_path()
    {
        var dir = Directory.CreateTempSubdirectory().FullName;
        Directory.CreateDirectory(Path.Combine(dir, "train"));
        var e = Assert.Throws<FileNotFoundException>(() => CocoDataset.Load(dir, "train"));
        Assert.Contains("instances_train.json", e.Message);
    }
}
