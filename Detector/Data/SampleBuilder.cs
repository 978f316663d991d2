using System.Collections.Concurrent;
using OpenCvSharp;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data.Augment;

namespace YoloDistill.Detector.Data;

/// <summary>One network input before batching: letterboxed/augmented BGR image and normalised (cls, cx, cy, w, h) targets.</summary>
internal sealed class Sample(Mat image, float[] targets, ImageShape shape, int index) : IDisposable
{
    public Mat Image { get; } = image;
    /// <summary>n×5: class, cx, cy, w, h normalised by the image size.</summary>
    public float[] Targets { get; } = targets;
    public ImageShape Shape { get; } = shape;
    public int Index { get; } = index;
    public void Dispose() => Image.Dispose();
}

/// <summary>
/// Ultralytics LoadImagesAndLabels.__getitem__: mosaic (+mixup) or load+letterbox (+random_perspective), then
/// normalised labels, HSV, flips. Every random draw comes from the sample's own <see cref="SampleRng"/>.
/// </summary>
internal sealed class SampleBuilder(CocoDataset dataset, LoaderOptions options) : IDisposable
{
    readonly ConcurrentDictionary<int, (Mat Image, int H0, int W0)>? _cache = options.Cache ? new() : null;

    public Sample Build(int index, SampleRng rng, bool mosaicEnabled, (int H, int W) shape)
    {
        var hyp = options.Hyp;
        bool mosaic = mosaicEnabled && rng.NextDouble() < hyp.Mosaic;
        Mat img;
        List<BoxLabel> labels;
        ImageShape imageShape;
        if (mosaic)
        {
            img = LoadMosaic(index, rng, out labels);
            if (rng.NextDouble() < hyp.Mixup)
            {
                using var img2 = LoadMosaic(rng.NextInt(dataset.Count), rng, out var labels2);
                var mixed = MixUp.Apply(img, labels, img2, labels2, rng);
                img.Dispose();
                img = mixed;
            }
            var im = dataset.Images[index];
            // a mosaic has no single letterbox back to one original (Ultralytics returns shapes=None): identity gains
            imageShape = new ImageShape(im.Height, im.Width, 1, 1, 0, 0);
        }
        else
        {
            using var loaded = Load(index, out int h0, out int w0);
            int h = loaded.Height, w = loaded.Width;
            var lb = Letterbox.Apply(loaded, shape.H, shape.W, auto: false, scaleUp: options.Augment);
            img = lb.Image;
            double gx = (double)w / w0 * lb.RatioW, gy = (double)h / h0 * lb.RatioH;
            labels = ScaleLabels(dataset.Images[index].Labels, gx, gy, lb.PadW, lb.PadH);
            imageShape = new ImageShape(h0, w0, gy, gx, lb.PadW, lb.PadH);
            if (options.Augment)
            {
                var warped = RandomPerspective.Apply(img, labels, rng, hyp.Degrees, hyp.Translate, hyp.Scale, hyp.Shear, hyp.Perspective, (0, 0), out labels);
                if (!ReferenceEquals(warped, img))
                {
                    img.Dispose();
                    img = warped;
                }
            }
        }

        var targets = Normalise(labels, img.Width, img.Height);
        if (options.Augment)
        {
            HsvAugment.Apply(img, rng, hyp.HsvH, hyp.HsvS, hyp.HsvV);
            if (rng.NextDouble() < hyp.FlipUd)
            {
                Cv2.Flip(img, img, FlipMode.X);
                for (int k = 0; k < targets.Length; k += 5) targets[k + 2] = 1 - targets[k + 2];
            }
            if (rng.NextDouble() < hyp.FlipLr)
            {
                Cv2.Flip(img, img, FlipMode.Y);
                for (int k = 0; k < targets.Length; k += 5) targets[k + 1] = 1 - targets[k + 1];
            }
        }
        return new Sample(img, targets, imageShape, index);
    }

    Mat LoadMosaic(int index, SampleRng rng, out List<BoxLabel> labels)
    {
        int s = options.ImgSize;
        int border = (int)Math.Floor(-s / 2.0);
        int yc = (int)rng.Uniform(-border, 2 * s + border);
        int xc = (int)rng.Uniform(-border, 2 * s + border);
        var indices = new List<int> { index, rng.NextInt(dataset.Count), rng.NextInt(dataset.Count), rng.NextInt(dataset.Count) };
        rng.Shuffle(indices);
        var mats = new Mat[4];
        var lbls = new IReadOnlyList<BoxLabel>[4];
        try
        {
            for (int i = 0; i < 4; i++)
            {
                mats[i] = Load(indices[i], out int h0, out int w0);
                lbls[i] = ScaleLabels(dataset.Images[indices[i]].Labels, (double)mats[i].Width / w0, (double)mats[i].Height / h0, 0, 0);
            }
            var hyp = options.Hyp;
            using var canvas = Mosaic.Build(s, mats, lbls, xc, yc, out var l4);
            var warped = RandomPerspective.Apply(canvas, l4, rng, hyp.Degrees, hyp.Translate, hyp.Scale, hyp.Shear, hyp.Perspective, (border, border), out labels);
            return warped;
        }
        finally
        {
            foreach (var m in mats) m?.Dispose();
        }
    }

    Mat Load(int index, out int h0, out int w0)
    {
        if (_cache != null && _cache.TryGetValue(index, out var c))
        {
            h0 = c.H0;
            w0 = c.W0;
            return c.Image.Clone();
        }
        var im = dataset.Images[index];
        var m = ImageLoading.LoadResized(im.Path, options.ImgSize, options.Augment, out h0, out w0);
        if (h0 != im.Height || w0 != im.Width)
        {
            m.Dispose();
            throw new InvalidDataException($"image file '{im.Path}' decodes as {w0}x{h0} but the annotations say {im.Width}x{im.Height}; run 'yolo-distill dataset check'");
        }
        if (_cache != null)
        {
            var copy = m.Clone();
            if (!_cache.TryAdd(index, (copy, h0, w0))) copy.Dispose();
        }
        return m;
    }

    static List<BoxLabel> ScaleLabels(BoxLabel[] src, double gx, double gy, double padW, double padH)
    {
        var r = new List<BoxLabel>(src.Length);
        foreach (var b in src)
            r.Add(new BoxLabel(b.Class, (float)(b.X1 * gx + padW), (float)(b.Y1 * gy + padH), (float)(b.X2 * gx + padW), (float)(b.Y2 * gy + padH)));
        return r;
    }

    /// <summary>xyxy2xywhn(clip=True, eps=1e-3): clip to [0, size - eps], then centre/size over the image size.</summary>
    static float[] Normalise(List<BoxLabel> labels, int w, int h)
    {
        const double eps = 1e-3;
        var t = new float[labels.Count * 5];
        for (int i = 0; i < labels.Count; i++)
        {
            var b = labels[i];
            double x1 = Math.Clamp(b.X1, 0, w - eps), x2 = Math.Clamp(b.X2, 0, w - eps);
            double y1 = Math.Clamp(b.Y1, 0, h - eps), y2 = Math.Clamp(b.Y2, 0, h - eps);
            t[i * 5] = b.Class;
            t[i * 5 + 1] = (float)((x1 + x2) / 2 / w);
            t[i * 5 + 2] = (float)((y1 + y2) / 2 / h);
            t[i * 5 + 3] = (float)((x2 - x1) / w);
            t[i * 5 + 4] = (float)((y2 - y1) / h);
        }
        return t;
    }

    public void Dispose()
    {
        if (_cache == null) return;
        foreach (var v in _cache.Values) v.Image.Dispose();
        _cache.Clear();
    }
}
