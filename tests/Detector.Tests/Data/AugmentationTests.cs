using OpenCvSharp;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Data.Augment;
using YoloDistill.Detector.Training;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Data;

/// <summary>Boxes must follow the pixels: solid coloured rectangles are drawn, augmented, and looked up under each target.</summary>
public class AugmentationTests
{
    // BGR colours per class, far apart and far from the 114 border and the 60 background.
    static readonly Scalar[] Colours = [new(0, 0, 255), new(0, 255, 0), new(255, 0, 0), new(0, 255, 255), new(255, 0, 255)];

    static string ColouredDataset(int n)
    {
        var root = Directory.CreateTempSubdirectory("yd-aug-").FullName;
        Directory.CreateDirectory(Path.Combine(root, "train"));
        Directory.CreateDirectory(Path.Combine(root, "annotations"));
        var rng = new Random(5);
        var images = new List<string>();
        var anns = new List<string>();
        int aid = 1;
        for (int i = 0; i < n; i++)
        {
            int w = 120 + 40 * (i % 3), h = 160 - 30 * (i % 2);
            using var m = new Mat(h, w, MatType.CV_8UC3, Scalar.All(60));
            // a 2x2 grid of cells, one solid rectangle inside each (never overlapping)
            for (int c = 0; c < 4; c++)
            {
                int cw = w / 2, ch = h / 2, bw = rng.Next(14, cw - 4), bh = rng.Next(14, ch - 4);
                int x = (c % 2) * cw + rng.Next(1, cw - bw), y = (c / 2) * ch + rng.Next(1, ch - bh);
                int cls = (i + c) % Colours.Length;
                Cv2.Rectangle(m, new Rect(x, y, bw, bh), Colours[cls], -1);
                anns.Add($$"""{"id": {{aid++}}, "image_id": {{i + 1}}, "category_id": {{cls + 1}}, "bbox": [{{x}}, {{y}}, {{bw}}, {{bh}}], "area": {{bw * bh}}, "iscrowd": 0}""");
            }
            Cv2.ImWrite(Path.Combine(root, "train", $"{i}.png"), m);
            images.Add($$"""{"id": {{i + 1}}, "file_name": "{{i}}.png", "width": {{w}}, "height": {{h}}}""");
        }
        var cats = string.Join(",", Enumerable.Range(1, Colours.Length).Select(k => $$"""{"id": {{k}}, "name": "c{{k}}"}"""));
        File.WriteAllText(Path.Combine(root, "annotations", "instances_train.json"),
            $$"""{"images": [{{string.Join(",", images)}}], "annotations": [{{string.Join(",", anns)}}], "categories": [{{cats}}]}""");
        return root;
    }

    static void AssertBoxesOnColour(DetectionBatch batch, bool centreOnly)
    {
        var img = (batch.Images * 255).round().to(ScalarType.Int32);
        int H = (int)img.shape[2], W = (int)img.shape[3];
        var t = batch.Targets.data<float>().ToArray();
        Assert.True(t.Length > 0, "augmentation left no boxes at all");
        int checkedBoxes = 0;
        for (int k = 0; k < t.Length; k += 6)
        {
            int i = (int)t[k], cls = (int)t[k + 1];
            double cx = t[k + 2] * W, cy = t[k + 3] * H, bw = t[k + 4] * W, bh = t[k + 5] * H;
            var want = Colours[cls];
            // RGB tensor vs BGR colour
            int[] rgb = [(int)want.Val2, (int)want.Val1, (int)want.Val0];
            int x1 = (int)Math.Ceiling(cx - bw / 2 + 1.5), x2 = (int)Math.Floor(cx + bw / 2 - 1.5);
            int y1 = (int)Math.Ceiling(cy - bh / 2 + 1.5), y2 = (int)Math.Floor(cy + bh / 2 - 1.5);
            if (centreOnly) (x1, x2, y1, y2) = ((int)cx, (int)cx, (int)cy, (int)cy);
            if (x2 < x1 || y2 < y1) continue;
            using var patch = img[i, TensorIndex.Colon, TensorIndex.Slice(y1, y2 + 1), TensorIndex.Slice(x1, x2 + 1)];
            using var target = tensor(rgb).reshape(3, 1, 1);
            double bad = (patch - target).abs().amax(0).gt(40).to(ScalarType.Float32).mean().item<float>();
            Assert.True(bad < 0.02, $"image {i} class {cls} box ({cx - bw / 2:F1},{cy - bh / 2:F1},{bw:F1},{bh:F1}): {bad:P1} of pixels are not the class colour");
            checkedBoxes++;
        }
        Assert.True(checkedBoxes > 0);
    }

    [Fact]
    public void Mosaic_translate_scale_and_flips_keep_boxes_on_their_pixels()
    {
        var ds = CocoDataset.Load(ColouredDataset(6), "train");
        var hyp = new Hyp { HsvH = 0, HsvS = 0, HsvV = 0, FlipUd = 0.5, FlipLr = 0.5, Mosaic = 1.0, Scale = 0.5, Translate = 0.1 };
        using var loader = new DetectionLoader(ds, new LoaderOptions { ImgSize = 160, BatchSize = 6, Workers = 1, Seed = 3, Hyp = hyp });
        for (int epoch = 0; epoch < 3; epoch++)
        {
            using var b = loader.BuildBatch(epoch, 0);
            Assert.Equal(new long[] { 6, 3, 160, 160 }, b.Images.shape);
            AssertBoxesOnColour(b, centreOnly: false);
        }
    }

    [Fact]
    public void Rotation_and_shear_keep_box_centres_on_their_objects()
    {
        var ds = CocoDataset.Load(ColouredDataset(6), "train");
        var hyp = new Hyp { HsvH = 0, HsvS = 0, HsvV = 0, Degrees = 8, Shear = 3, Mosaic = 1.0 };
        using var loader = new DetectionLoader(ds, new LoaderOptions { ImgSize = 160, BatchSize = 6, Workers = 1, Seed = 9, Hyp = hyp });
        using var b = loader.BuildBatch(0, 0);
        AssertBoxesOnColour(b, centreOnly: true);
    }

    [Fact]
    public void Non_mosaic_training_letterboxes_then_perspective()
    {
        var ds = CocoDataset.Load(ColouredDataset(4), "train");
        var hyp = new Hyp { HsvH = 0, HsvS = 0, HsvV = 0, Mosaic = 0, FlipLr = 0.5 };
        using var loader = new DetectionLoader(ds, new LoaderOptions { ImgSize = 128, BatchSize = 4, Workers = 1, Hyp = hyp });
        using var b = loader.BuildBatch(0, 0);
        Assert.Equal(new long[] { 4, 3, 128, 128 }, b.Images.shape);
        AssertBoxesOnColour(b, centreOnly: false);
    }

    [Fact]
    public void Validation_targets_are_the_json_boxes_in_the_letterboxed_frame()
    {
        var ds = CocoDataset.Load(ColouredDataset(3), "train");
        using var loader = new DetectionLoader(ds, LoaderOptions.Validation(128, 3, 1));
        using var b = loader.BuildBatch(0, 0);
        AssertBoxesOnColour(b, centreOnly: false);
        var t = b.Targets.data<float>().ToArray();
        int W = (int)b.Images.shape[3], H = (int)b.Images.shape[2];
        for (int j = 0; j < b.Count; j++)
        {
            var im = ds.Images.Single(x => x.Path == b.Paths[j]);
            var s = b.Shapes[j];
            var first = im.Labels[0];
            int k = Enumerable.Range(0, t.Length / 6).First(r => (int)t[r * 6] == j) * 6;
            Assert.Equal((first.X1 + first.X2) / 2 * s.RatioW + s.PadW, t[k + 2] * W, 2);
            Assert.Equal((first.Y1 + first.Y2) / 2 * s.RatioH + s.PadH, t[k + 3] * H, 2);
        }
    }

    [Fact]
    public void Box_candidates_follow_Ultralytics_thresholds()
    {
        Assert.True(RandomPerspective.BoxCandidate(10, 10, 5, 5));
        Assert.False(RandomPerspective.BoxCandidate(10, 10, 2, 5));       // w2 must be > 2 px
        Assert.False(RandomPerspective.BoxCandidate(100, 100, 30, 30));   // 9 % of the area left
        Assert.False(RandomPerspective.BoxCandidate(400, 4, 400, 3.9));   // aspect ratio >= 100
    }

    [Fact]
    public void Hsv_with_zero_gains_is_identity_and_with_gains_changes_colour_deterministically()
    {
        using var im = new Mat(8, 8, MatType.CV_8UC3, new Scalar(30, 120, 200));
        using var copy = im.Clone();
        HsvAugment.Apply(copy, new SampleRng(1), 0, 0, 0);
        Assert.Equal(0, Cv2.Norm(im, copy, NormTypes.INF));
        using var a = im.Clone();
        using var b = im.Clone();
        HsvAugment.Apply(a, new SampleRng(2), 0.015, 0.7, 0.4);
        HsvAugment.Apply(b, new SampleRng(2), 0.015, 0.7, 0.4);
        Assert.Equal(0, Cv2.Norm(a, b, NormTypes.INF));
        Assert.True(Cv2.Norm(im, a, NormTypes.INF) > 0);
    }

    [Fact]
    public void Hsv_gains_act_on_each_hsv_channel_as_ultralytics_luts()
    {
        using var im = new Mat(16, 16, MatType.CV_8UC3);
        Cv2.Randu(im, Scalar.All(0), Scalar.All(256));
        using var got = im.Clone();
        HsvAugment.Apply(got, new SampleRng(4), 0.5, 0.7, 0.4);
        var draw = new SampleRng(4);
        double rh = draw.Uniform(-1, 1) * 0.5 + 1, rs = draw.Uniform(-1, 1) * 0.7 + 1, rv = draw.Uniform(-1, 1) * 0.4 + 1;
        using var hsv = new Mat();
        Cv2.CvtColor(im, hsv, ColorConversionCodes.BGR2HSV);
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < 16; x++)
            {
                var p = hsv.At<Vec3b>(y, x);
                double h = p.Item0 * rh;
                hsv.Set(y, x, new Vec3b((byte)(int)(h - 180 * Math.Floor(h / 180)), (byte)(int)Math.Clamp(p.Item1 * rs, 0, 255), (byte)(int)Math.Clamp(p.Item2 * rv, 0, 255)));
            }
        using var want = new Mat();
        Cv2.CvtColor(hsv, want, ColorConversionCodes.HSV2BGR);
        Assert.Equal(0, Cv2.Norm(want, got, NormTypes.INF));
    }
}
