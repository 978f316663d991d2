using System.Diagnostics;
using OpenCvSharp;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Inference;

/// <summary>What one image produced, with the time spent in each stage (milliseconds), as detect.py reports them.</summary>
public sealed record Prediction(IReadOnlyList<Detection> Detections, double PreprocessMs, double InferenceMs, double NmsMs)
{
    public double TotalMs => PreprocessMs + InferenceMs + NmsMs;
}

/// <summary>
/// detect.py for one BGR image: letterbox, forward through a backend, NMS, boxes scaled back to the original image.
/// </summary>
public sealed class Predictor(IDetectorBackend backend, PredictOptions? options = null)
{
    public PredictOptions Options { get; } = Resolve(backend, options ?? new PredictOptions());
    public IDetectorBackend Backend => backend;

    static PredictOptions Resolve(IDetectorBackend b, PredictOptions o)
    {
        if (b.FixedImgSize is { } fixedSize && o.ImgSize != fixedSize)
            throw new ArgumentException($"The {b.Name} model takes {fixedSize}x{fixedSize} input only; image size {o.ImgSize} (--img) does not fit (export with --dynamic, or use {fixedSize}).");
        if (o.ImgSize <= 0 || o.ImgSize % b.MaxStride != 0)
            throw new ArgumentException($"Image size {o.ImgSize} (--img) must be a positive multiple of the stride {b.MaxStride}.");
        // Thresholds fail when the predictor is made, not at the first image.
        new NmsOptions(o.ConfThres, o.IouThres, o.Classes, o.Agnostic, MultiLabel: false, o.MaxDet).Validate();
        return o with { Auto = o.Auto ?? b.FixedImgSize is null };
    }

    /// <summary>One untimed forward at the full input size (detect.py's model.warmup), so lazy initialisation is not billed to the first frame.</summary>
    public void Warmup()
    {
        using var scope = NewDisposeScope();
        backend.Forward(zeros(1, 3, Options.ImgSize, Options.ImgSize));
    }

    public Prediction Predict(Mat bgr)
    {
        if (bgr.Empty()) throw new ArgumentException("Cannot run detection on an empty image.");
        using var scope = NewDisposeScope();
        var sw = Stopwatch.StartNew();
        var (input, shape) = Letterbox.Preprocess(bgr, Options.ImgSize, Options.Auto!.Value, backend.MaxStride);
        double pre = sw.Elapsed.TotalMilliseconds;

        sw.Restart();
        var pred = backend.Forward(input);
        double infer = sw.Elapsed.TotalMilliseconds;

        sw.Restart();
        var dets = NonMaxSuppression.Run(pred, Nms)[0];
        var scaled = BoxOps.ScaleBoxes(dets, (int)input.shape[2], (int)input.shape[3], shape);
        var result = ToDetections(scaled);
        double post = sw.Elapsed.TotalMilliseconds;
        return new Prediction(result, pre, infer, post);
    }

    /// <summary>
    /// Several images through one forward pass. Images of one size are letterboxed as <see cref="Predict"/> does; a
    /// batch of mixed sizes is padded to the square input size, since the stacked inputs must share a shape.
    /// Backends with a fixed batch size (a static ONNX export) run the images one by one.
    /// </summary>
    public IReadOnlyList<Detection>[] PredictBatch(IReadOnlyList<Mat> images)
    {
        for (int i = 0; i < images.Count; i++)
            if (images[i] is null || images[i].Empty()) throw new ArgumentException($"Cannot run detection on an empty image (batch item {i}).");
        if (images.Count == 0) return [];
        if (images.Count == 1 || backend.FixedBatchSize is not null)
            return images.Select(m => Predict(m).Detections).ToArray();

        using var scope = NewDisposeScope();
        var size = images[0].Size();
        bool auto = Options.Auto!.Value && images.All(m => m.Size() == size);
        var inputs = new Tensor[images.Count];
        var shapes = new ImageShape[images.Count];
        for (int i = 0; i < images.Count; i++)
            (inputs[i], shapes[i]) = Letterbox.Preprocess(images[i], Options.ImgSize, auto, backend.MaxStride);
        var batch = cat(inputs, 0);
        var dets = NonMaxSuppression.Run(backend.Forward(batch), Nms);
        var result = new IReadOnlyList<Detection>[images.Count];
        for (int i = 0; i < images.Count; i++)
            result[i] = ToDetections(BoxOps.ScaleBoxes(dets[i], (int)batch.shape[2], (int)batch.shape[3], shapes[i]));
        return result;
    }

    NmsOptions Nms => new(Options.ConfThres, Options.IouThres, Options.Classes, Options.Agnostic, MultiLabel: false, Options.MaxDet);

    /// <summary>(n,6) x1,y1,x2,y2,conf,cls -> records, read in one copy.</summary>
    Detection[] ToDetections(Tensor dets)
    {
        int n = (int)dets.shape[0];
        if (n == 0) return [];
        var v = dets.to_type(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        var names = backend.Names;
        var result = new Detection[n];
        for (int i = 0; i < n; i++)
        {
            int c = (int)v[6 * i + 5];
            result[i] = new Detection(c, c >= 0 && c < names.Count ? names[c] : $"class{c}", v[6 * i + 4],
                v[6 * i], v[6 * i + 1], v[6 * i + 2], v[6 * i + 3]);
        }
        return result;
    }
}
