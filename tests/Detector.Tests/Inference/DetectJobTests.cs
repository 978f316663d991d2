using YoloDistill.Detector.Inference;
using YoloDistill.Tests;

namespace YoloDistill.Detector.Tests.Inference;

public class DetectJobTests(InferenceFixture fx) : IClassFixture<InferenceFixture>
{
    [Fact]
    public void Folder_of_images_gives_annotated_copies_and_a_csv_row_per_box()
    {
        var src = Directory.CreateTempSubdirectory("src").FullName;
        File.Copy(RefData.Require("reference/images/bus.jpg"), Path.Combine(src, "bus.jpg"));
        File.Copy(RefData.Require("reference/images/zidane.jpg"), Path.Combine(src, "zidane.jpg"));
        File.WriteAllText(Path.Combine(src, "notes.txt"), "not an image");
        var outDir = Path.Combine(fx.Dir, "detect");

        var summary = new DetectJob(YoloDetector.FromBackend(fx.Onnx)).Run(MediaSource.Open(src), outDir);

        Assert.Equal(2, summary.Frames);
        Assert.True(File.Exists(Path.Combine(outDir, "bus.jpg")) && File.Exists(Path.Combine(outDir, "zidane.jpg")));
        var lines = File.ReadAllLines(summary.CsvPath);
        Assert.Equal("source,frame,class_id,class_name,conf,x1,y1,x2,y2", lines[0]);
        Assert.Equal(summary.Detections + 1, lines.Length);
        var bus = lines.Skip(1).Where(l => l.Contains("bus.jpg")).Select(l => l.Split(',')).ToArray();
        Assert.Equal(4, bus.Length);
        Assert.All(bus, f => Assert.Equal("0", f[1]));
        Assert.Equal(3, bus.Count(f => f[2] == "0" && f[3] == "person"));
        Assert.Single(bus, f => f[2] == "5" && f[3] == "bus");
        Assert.Equal(3, summary.PerClass["person"] - lines.Skip(1).Count(l => l.Contains("zidane.jpg") && l.Contains(",person,")));
    }

    [Fact]
    public void Video_gives_an_mp4_with_the_source_size_and_rate()
    {
        var video = Path.Combine(fx.Dir, "clip.avi");
        using (var w = new OpenCvSharp.VideoWriter(video, OpenCvSharp.FourCC.MJPG, 12, new OpenCvSharp.Size(320, 240)))
        using (var im = OpenCvSharp.Cv2.ImRead(RefData.Require("reference/images/bus.jpg")).Resize(new OpenCvSharp.Size(320, 240)))
            for (int i = 0; i < 3; i++) w.Write(im);
        var outDir = Path.Combine(fx.Dir, "detect-video");

        var summary = new DetectJob(YoloDetector.FromBackend(fx.Onnx)).Run(MediaSource.Open(video), outDir);

        Assert.Equal(3, summary.Frames);
        var mp4 = Assert.Single(summary.Outputs);
        Assert.EndsWith("clip.mp4", mp4);
        using var cap = new OpenCvSharp.VideoCapture(mp4);
        Assert.Equal(320, cap.FrameWidth);
        Assert.Equal(240, cap.FrameHeight);
        Assert.Equal(12, cap.Fps, 1);
        Assert.Equal(3, cap.FrameCount);
        var frames = File.ReadAllLines(summary.CsvPath).Skip(1).Select(l => l.Split(',')[1]).Distinct().Order().ToArray();
        Assert.Equal(["0", "1", "2"], frames);
    }

    [Fact]
    public void Missing_source_is_named_in_the_error()
    {
        var e = Assert.Throws<FileNotFoundException>(() => MediaSource.Open("/nonexistent/street.mp4"));
        Assert.Contains("/nonexistent/street.mp4", e.Message);
    }

    [Fact]
    public void Unreadable_video_is_named_in_the_error()
    {
        var path = Path.Combine(fx.Dir, "broken.mp4");
        File.WriteAllBytes(path, new byte[4096]);
        var src = MediaSource.Open(path);
        var e = Assert.Throws<InvalidDataException>(() => src.Frames().ToList());
        Assert.Contains("broken.mp4", e.Message);
    }

    [Fact]
    public void Absent_camera_is_named_in_the_error()
    {
        var src = MediaSource.Open("7");
        Assert.Equal(7, src.CameraIndex);
        var e = Assert.Throws<InvalidDataException>(() => src.Frames().First());
        Assert.Contains("camera 7", e.Message);
    }
}
