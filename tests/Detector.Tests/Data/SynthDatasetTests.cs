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

    [Fact]
    public void Synthetic_video_labels_every_class_object_in_every_frame_and_score_themselves_perfectly()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("yd-vid-").FullName, "v.mp4");
        SynthVideo.Generate(file, 3, frames: 10, fps: 25, width: 160, height: 96);
        var labels = SynthVideo.LabelsPath(file);
        Assert.EndsWith("v.labels.csv", labels);
        var rows = File.ReadAllLines(labels);
        Assert.Equal("source,frame,class_id,class_name,conf,x1,y1,x2,y2", rows[0]);
        var perFrame = rows.Skip(1).GroupBy(r => r.Split(',')[1]).ToArray();
        Assert.Equal(10, perFrame.Length);
        Assert.All(perFrame, g => Assert.Equal(perFrame[0].Count(), g.Count())); // the same objects in every frame
        Assert.All(rows.Skip(1), r =>
        {
            var f = r.Split(',');
            Assert.InRange(int.Parse(f[2]), 0, 7);
            Assert.True(float.Parse(f[7], System.Globalization.CultureInfo.InvariantCulture) > float.Parse(f[5], System.Globalization.CultureInfo.InvariantCulture));
        });
        var self = YoloDistill.Detector.Evaluation.VideoScore.Score(labels, labels);
        Assert.Equal(1.0, self.Precision);
        Assert.Equal(1.0, self.Recall);
        Assert.Equal(10, self.Frames);
    }

    [Fact]
    public void Video_score_matches_by_class_and_iou_greedily_by_confidence()
    {
        var dir = Directory.CreateTempSubdirectory("yd-score-").FullName;
        var labels = Path.Combine(dir, "labels.csv");
        File.WriteAllLines(labels, ["source,frame,class_id,class_name,conf,x1,y1,x2,y2",
            "v,0,1,a,1,0,0,10,10", "v,0,2,b,1,20,20,30,30", "v,1,1,a,1,0,0,10,10"]);
        var dets = Path.Combine(dir, "dets.csv");
        File.WriteAllLines(dets, ["source,frame,class_id,class_name,conf,x1,y1,x2,y2",
            "v,0,1,a,0.5,0,0,10,9",      // IoU 0.9 with the frame-0 label of class 1: true positive
            "v,0,1,a,0.9,1,0,10,10",     // IoU 0.9 too, higher confidence: takes that label first
            "v,0,2,a,0.8,0,0,10,10",     // wrong class
            "v,1,1,a,0.7,5,0,15,10",     // IoU 1/3 < 0.5
            "v,2,1,a,0.7,0,0,10,10"]);   // a frame without labels
        var r = YoloDistill.Detector.Evaluation.VideoScore.Score(labels, dets);
        Assert.Equal((3, 3, 5, 1), (r.Frames, r.Labels, r.Detections, r.TruePositives));
        Assert.Equal(0.2, r.Precision, 12);
        Assert.Equal(1 / 3.0, r.Recall, 12);
        File.WriteAllLines(dets, ["source,frame,class_id,class_name,conf,x1,y1,x2,y2", "v,zero,1,a,0.5,0,0,10,9"]);
        Assert.Contains("row 2", Assert.Throws<InvalidDataException>(() => YoloDistill.Detector.Evaluation.VideoScore.Score(labels, dets)).Message);
    }
}
