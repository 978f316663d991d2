using OpenCvSharp;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Inference;
using YoloDistill.Tests;

namespace YoloDistill.Detector.Tests.Inference;

/// <summary>The public inference API: the same boxes as the predictor, options, batches, video, errors, disposal and memory.</summary>
public class YoloDetectorTests(InferenceFixture fx) : IClassFixture<InferenceFixture>
{
    static string Bus => RefData.Require("reference/images/bus.jpg");

    [Fact]
    public void Onnx_model_gives_the_predictors_boxes_on_bus()
    {
        using var detector = YoloDetector.Load(fx.OnnxPath);
        Assert.Equal("onnx", detector.BackendName);
        Assert.Equal(640, detector.ImageSize);
        Assert.Equal("person", detector.ClassNames[0]);

        using var im = Cv2.ImRead(Bus);
        var expected = new Predictor(fx.Onnx).Predict(im).Detections;
        var got = detector.Detect(Bus);
        Assert.Equal(["bus", "person", "person", "person"], got.Select(d => d.ClassName).Order().ToArray());
        Assert.Equal(expected, got);
        Assert.Equal(got, detector.Detect(im));
    }

    [Fact]
    public void Pt_and_safetensors_load_for_torch_and_find_the_same_objects()
    {
        using var pt = YoloDetector.Load(RefData.Require("weights/yolov5n.pt"), new DetectorOptions { Device = "cpu" });
        using var st = YoloDetector.Load(RefData.Require("weights/yolov5n.safetensors"), new DetectorOptions { Device = "cpu" });
        Assert.Equal("torch", pt.BackendName);
        var a = pt.Detect(Bus);
        var b = st.Detect(Bus);
        Assert.Equal(a.Select(d => d.ClassName), b.Select(d => d.ClassName));
        // The .pt holds fp16 weights, the safetensors fp32: boxes agree to well under a pixel.
        for (int i = 0; i < a.Count; i++) Assert.Equal(a[i].X1, b[i].X1, 0.5);
        using var im = Cv2.ImRead(Bus);
        Assert.Equal(new Predictor(fx.Torch).Predict(im).Detections.Select(d => d.ClassName), b.Select(d => d.ClassName));
    }

    [Fact]
    public void Shipped_checkpoint_loads_and_detects_on_a_synthetic_scene()
    {
        var ckpt = Path.Combine(RefData.RepoRoot, "weights", "yolov5n-pretrain.ckpt");
        using var detector = YoloDetector.Load(ckpt, new DetectorOptions { Device = "cpu", ImageSize = 320, Confidence = 0.1 });
        Assert.Equal(SynthDomain.Pretrain.Classes.Select(c => c.Name), detector.ClassNames);
        int matched = 0;
        for (int seed = 0; seed < 4; seed++)
        {
            var (im, boxes) = SynthScene.Random(320, 320, new SampleRng(seed), SynthDomain.Pretrain);
            using (im)
            {
                var dets = detector.Detect(im);
                Assert.All(dets, d => Assert.True(d.X1 >= 0 && d.X2 <= 320 && d.Y1 >= 0 && d.Y2 <= 320 && d.Width > 0 && d.Height > 0));
                matched += dets.Count(d => boxes.Any(b => b.Class == d.ClassId && Math.Abs(b.X1 - d.X1) < 8 && Math.Abs(b.Y2 - d.Y2) < 8));
            }
        }
        Assert.True(matched > 0, "the pretrained student found none of the objects of four synthetic scenes");
    }

    [Fact]
    public void Options_filter_classes_confidence_and_count()
    {
        using var onlyBus = YoloDetector.Load(fx.OnnxPath, new DetectorOptions { Classes = [5] });
        Assert.Equal(["bus"], onlyBus.Detect(Bus).Select(d => d.ClassName));
        using var two = YoloDetector.Load(fx.OnnxPath, new DetectorOptions { MaxDetections = 2 });
        Assert.Equal(2, two.Detect(Bus).Count);
        using var sure = YoloDetector.Load(fx.OnnxPath, new DetectorOptions { Confidence = 0.8 });
        Assert.All(sure.Detect(Bus), d => Assert.True(d.Confidence >= 0.8f));
        Assert.True(sure.Detect(Bus).Count < 4);
    }

    [Fact]
    public void Batch_gives_each_image_its_own_boxes()
    {
        using var bus = Cv2.ImRead(Bus);
        using var zidane = Cv2.ImRead(RefData.Require("reference/images/zidane.jpg"));
        using var onnx = YoloDetector.FromBackend(fx.Onnx);
        var r = onnx.Detect([bus, zidane]);
        Assert.Equal(2, r.Count);
        Assert.Equal(onnx.Detect(bus), r[0]);
        Assert.Equal(onnx.Detect(zidane), r[1]);

        // Torch stacks the batch into one forward; images of one size keep the single-image letterbox.
        using var torch = YoloDetector.FromBackend(fx.Torch);
        var single = torch.Detect(bus);
        var pair = torch.Detect([bus, bus]);
        foreach (var dets in pair)
        {
            Assert.Equal(single.Select(d => d.ClassName), dets.Select(d => d.ClassName));
            for (int i = 0; i < single.Count; i++) Assert.Equal(single[i].Y2, dets[i].Y2, 0.05);
        }
        Assert.Empty(torch.Detect(Array.Empty<Mat>()));
    }

    [Fact]
    public void Video_yields_each_frame_with_its_boxes_and_disposes_it_after()
    {
        var video = Path.Combine(fx.Dir, "api-clip.avi");
        using (var w = new VideoWriter(video, FourCC.MJPG, 10, new Size(320, 240)))
        using (var im = Cv2.ImRead(Bus).Resize(new Size(320, 240)))
            for (int i = 0; i < 3; i++) w.Write(im);
        using var detector = YoloDetector.FromBackend(fx.Onnx);
        var seen = new List<(int Index, int Boxes, Mat Image)>();
        foreach (var f in detector.DetectVideo(video))
        {
            Assert.Equal(320, f.Image.Cols);
            seen.Add((f.Index, f.Detections.Count, f.Image));
        }
        Assert.Equal([0, 1, 2], seen.Select(s => s.Index));
        Assert.All(seen, s => Assert.True(s.Boxes > 0));
        Assert.All(seen, s => Assert.True(s.Image.IsDisposed));
        Assert.Throws<ArgumentException>(() => detector.DetectVideo(Bus));
    }

    [Fact]
    public void Bad_paths_and_options_fail_with_clear_errors()
    {
        var missing = Assert.Throws<FileNotFoundException>(() => YoloDetector.Load("/nonexistent/student.onnx"));
        Assert.Contains("/nonexistent/student.onnx", missing.Message);

        var junk = Path.Combine(fx.Dir, "junk.pt");
        File.WriteAllBytes(junk, new byte[256]);
        var bad = Assert.Throws<InvalidDataException>(() => YoloDetector.Load(junk));
        Assert.Contains("junk.pt", bad.Message);

        Assert.Contains("onnx backend", Assert.Throws<ArgumentException>(() =>
            YoloDetector.Load(fx.OnnxPath, new DetectorOptions { Backend = InferenceBackend.Torch })).Message);
        Assert.Contains("640", Assert.Throws<ArgumentException>(() =>
            YoloDetector.Load(fx.OnnxPath, new DetectorOptions { ImageSize = 320 })).Message);
        Assert.Contains("confidence", Assert.Throws<ArgumentException>(() =>
            YoloDetector.Load(fx.OnnxPath, new DetectorOptions { Confidence = 1.5 })).Message);

        using var detector = YoloDetector.FromBackend(fx.Onnx);
        Assert.Contains("missing.jpg", Assert.Throws<FileNotFoundException>(() => detector.Detect("/nonexistent/missing.jpg")).Message);
        using var empty = new Mat();
        Assert.Throws<ArgumentException>(() => detector.Detect(empty));
    }

    [Fact]
    public void Disposed_detector_refuses_work_and_leaves_a_borrowed_backend_open()
    {
        var detector = YoloDetector.FromBackend(fx.Onnx);
        detector.Dispose();
        detector.Dispose();
        Assert.Throws<ObjectDisposedException>(() => detector.Detect(Bus));
        using var im = Cv2.ImRead(Bus);
        Assert.Equal(4, new Predictor(fx.Onnx).Predict(im).Detections.Count);
    }

    [Fact]
    public void Calls_from_several_threads_give_the_sequential_results()
    {
        using var detector = YoloDetector.FromBackend(fx.Torch, new DetectorOptions { ImageSize = 320 });
        using var im = Cv2.ImRead(Bus);
        var expected = detector.Detect(im);
        var results = new IReadOnlyList<Detection>[6];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 3 }, i => results[i] = detector.Detect(im));
        // libtorch may pick another kernel or split a reduction differently on another thread (CI saw the 7th
        // significant digit move), so "the same result" is the same objects to float tolerance; a call that read
        // another call's input or output would be off by whole pixels or change the objects.
        Assert.All(results, r =>
        {
            Assert.Equal(expected.Select(d => (d.ClassId, d.ClassName)), r.Select(d => (d.ClassId, d.ClassName)));
            foreach (var (e, g) in expected.Zip(r))
            {
                Assert.Equal(e.Confidence, g.Confidence, 1e-4f);
                Assert.Equal([e.X1, e.Y1, e.X2, e.Y2], [g.X1, g.Y1, g.X2, g.Y2], (a, b) => Math.Abs(a - b) < 0.01f);
            }
        });
    }

    [Theory]
    [InlineData("torch")]
    [InlineData("onnx")]
    public void Repeated_calls_leave_no_tensor_alive(string backend)
    {
        // TorchSharp counts, per thread, the tensors made and not yet freed; a call that leaked its prediction
        // (about 2 MB at 320) would raise the count every time.
        using var detector = YoloDetector.FromBackend(backend == "torch" ? fx.Torch : fx.Onnx,
            new DetectorOptions { ImageSize = backend == "torch" ? 320 : null });
        using var im = Cv2.ImRead(Bus);
        detector.Detect(im);
        long before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 20; i++) detector.Detect(im);
        detector.Detect([im, im]);
        Assert.Equal(before, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
