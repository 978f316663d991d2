using YoloDistill.Detector.Data;

namespace YoloDistill.Detector.Tests.Data;

public class SynthDatasetTests
{
    static readonly SynthOptions Small = new() { Train = 6, Val = 2, ImgSize = 96 };

    [Fact]
    public void Same_seed_writes_the_same_bytes_and_another_seed_does_not()
    {
        string a = Directory.CreateTempSubdirectory("yd-synth-").FullName, b = Directory.CreateTempSubdirectory("yd-synth-").FullName,
            c = Directory.CreateTempSubdirectory("yd-synth-").FullName;
        SynthDataset.Generate(a, 11, Small);
        SynthDataset.Generate(b, 11, Small);
        SynthDataset.Generate(c, 12, Small);
        foreach (var rel in new[] { "annotations/instances_train.json", "annotations/instances_val.json", "train/000003.jpg", "val/000001.jpg" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, rel)), File.ReadAllBytes(Path.Combine(b, rel)));
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(a, "annotations/instances_train.json")), File.ReadAllBytes(Path.Combine(c, "annotations/instances_train.json")));
    }

    [Fact]
    public void Synthetic_dataset_is_a_clean_coco_dataset_of_eight_classes()
    {
        var root = Directory.CreateTempSubdirectory("yd-synth-").FullName;
        var s = SynthDataset.Generate(root, 3, Small with { Train = 12 });
        var r = DatasetChecker.Check(root, "train");
        Assert.Empty(r.Problems);
        Assert.Equal(12, r.Images);
        Assert.Equal(s.TrainBoxes, r.Boxes);
        Assert.True(r.Boxes >= 12, $"only {r.Boxes} boxes in 12 images");
        var ds = CocoDataset.Load(root, "val");
        Assert.Equal(2, ds.Count);
        Assert.Equal(["red_circle", "green_circle", "blue_circle", "red_square", "blue_square", "red_triangle", "green_triangle", "blue_triangle"], ds.Names);
        Assert.All(ds.Images, im => Assert.Equal((96, 96), (im.Width, im.Height)));
    }

    [Fact]
    public void Synthetic_video_has_the_requested_frames_and_size()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("yd-vid-").FullName, "v.mp4");
        SynthVideo.Generate(file, 1, frames: 12, fps: 25, width: 160, height: 96);
        using var cap = new OpenCvSharp.VideoCapture(file);
        Assert.True(cap.IsOpened());
        Assert.Equal(160, cap.FrameWidth);
        Assert.Equal(96, cap.FrameHeight);
        int n = 0;
        using var f = new OpenCvSharp.Mat();
        while (cap.Read(f) && !f.Empty()) n++;
        Assert.Equal(12, n);
    }
}
