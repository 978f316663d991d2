using System.Globalization;
using YoloDistill.Detector.Data;
using YoloDistill.Tests;

namespace YoloDistill.Detector.Tests.Data;

public class YoloToCocoTests
{
    [Fact]
    public void Round_trips_coco128_boxes_through_yolo_labels()
    {
        var src = CocoDataset.Load(RefData.Require("data/coco128"), "train2017");
        var tmp = Directory.CreateTempSubdirectory("yd-yolo-").FullName;
        var images = Directory.CreateDirectory(Path.Combine(tmp, "images", "mini")).FullName;
        var labels = Directory.CreateDirectory(Path.Combine(tmp, "labels", "mini")).FullName;
        var picked = src.Images.Take(6).ToArray();
        foreach (var im in picked)
        {
            File.Copy(im.Path, Path.Combine(images, im.FileName));
            if (im == picked[5]) continue; // one image without a label file: a negative
            var lines = im.Labels.Select(b => string.Create(CultureInfo.InvariantCulture,
                $"{b.Class} {(b.X1 + b.X2) / 2 / im.Width:F6} {(b.Y1 + b.Y2) / 2 / im.Height:F6} {b.Width / im.Width:F6} {b.Height / im.Height:F6}"));
            File.WriteAllLines(Path.Combine(labels, Path.ChangeExtension(im.FileName, ".txt")), lines);
        }
        var names = Path.Combine(tmp, "data.yaml");
        File.WriteAllText(names, "path: ../x\ntrain: images/mini\nnames:\n" + string.Join("\n", src.Names.Select((n, i) => $"  {i}: {n}")) + "\n");

        var r = YoloToCoco.Convert(images, labels, names, Path.Combine(tmp, "coco"), "mini");
        Assert.Equal(6, r.Images);
        Assert.Equal(1, r.ImagesWithoutBoxes);
        var ds = CocoDataset.Load(Path.Combine(tmp, "coco"), "mini");
        Assert.Equal(src.Names, ds.Names);
        foreach (var im in ds.Images)
        {
            var orig = picked.Single(p => p.FileName == im.FileName);
            var want = im.FileName == picked[5].FileName ? [] : orig.Labels;
            Assert.Equal(want.Length, im.Labels.Length);
            for (int k = 0; k < want.Length; k++)
            {
                Assert.Equal(want[k].Class, im.Labels[k].Class);
                Assert.Equal(want[k].X1, im.Labels[k].X1, 0.01);
                Assert.Equal(want[k].Y2, im.Labels[k].Y2, 0.01);
            }
        }
    }

    [Theory]
    [InlineData("names.txt", "a\nb\n\nc\n")]
    [InlineData("d.yaml", "train: x\nnames: ['a', \"b\", c]\n")]
    [InlineData("d.yml", "nc: 3\nnames:\n  - a\n  - b\n  - c\nval: y\n")]
    [InlineData("d.yaml", "names:\n  0: a\n  1: b\n  2: c\n")]
    public void Reads_names_files_and_yaml(string file, string text)
    {
        var f = Path.Combine(Directory.CreateTempSubdirectory().FullName, file);
        File.WriteAllText(f, text);
        Assert.Equal(["a", "b", "c"], YoloToCoco.ReadNames(f));
    }

    [Fact]
    public void Yaml_names_keep_commas_colons_and_hashes_inside_quotes()
    {
        var f = Path.Combine(Directory.CreateTempSubdirectory().FullName, "data.yaml");
        File.WriteAllText(f, "names: ['traffic light', 'a, b', \"c: d\", 'e #1']  # four\n");
        Assert.Equal(["traffic light", "a, b", "c: d", "e #1"], YoloToCoco.ReadNames(f));
    }

    [Fact]
    public void Bad_label_line_names_file_and_line()
    {
        var tmp = Directory.CreateTempSubdirectory("yd-yolo-").FullName;
        var images = Directory.CreateDirectory(Path.Combine(tmp, "im")).FullName;
        var labels = Directory.CreateDirectory(Path.Combine(tmp, "lb")).FullName;
        File.Copy(RefData.Require("reference/images/bus.jpg"), Path.Combine(images, "bus.jpg"));
        File.WriteAllText(Path.Combine(labels, "bus.txt"), "0 0.5 0.5 0.2 0.2\n7 0.5 0.5 0.1 0.1\n");
        File.WriteAllText(Path.Combine(tmp, "n.txt"), "a\nb\n");
        var e = Assert.Throws<InvalidDataException>(() => YoloToCoco.Convert(images, labels, Path.Combine(tmp, "n.txt"), Path.Combine(tmp, "out"), "x", strict: true));
        Assert.Contains("bus.txt (line 2)", e.Message);
        Assert.Contains("0..1", e.Message);
        Assert.False(Directory.Exists(Path.Combine(tmp, "out", "x")));

        var r = YoloToCoco.Convert(images, labels, Path.Combine(tmp, "n.txt"), Path.Combine(tmp, "out"), "x");
        Assert.Equal(1, r.Boxes);
        Assert.Equal(LabelFaultKind.UnknownClass, Assert.Single(r.Faults).Kind);
    }
}
