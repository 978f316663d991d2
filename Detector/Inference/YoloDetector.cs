using OpenCvSharp;
using YoloDistill.Detector.Data;

namespace YoloDistill.Detector.Inference;

/// <summary>
/// A YOLOv5 detector for .NET code: load a model once, then detect objects in images, batches, videos or a camera.
/// </summary>
/// <remarks>
/// <para><b>Thread-safety.</b> All members may be called from several threads. Detection calls on one instance are
/// serialised by an internal lock (the model runs one image or batch at a time, with all cores); for parallel
/// throughput load one instance per thread.</para>
/// <para><b>Disposal.</b> The detector owns the native model (libtorch or ONNX Runtime) and frees it in
/// <see cref="Dispose"/>, which waits for a running call to finish; calls after it throw
/// <see cref="ObjectDisposedException"/>. Images passed in stay the caller's to dispose. A frame handed out by
/// <see cref="DetectVideo"/> or <see cref="DetectCamera"/> is disposed when the iteration moves on.</para>
/// <para><b>Memory.</b> Every call frees its intermediate tensors before returning, so running the same model many
/// times does not grow memory.</para>
/// </remarks>
/// <example>
/// <code>
/// using var detector = YoloDetector.Load("student.onnx", new DetectorOptions { Confidence = 0.4 });
/// foreach (var d in detector.Detect("bus.jpg"))
///     Console.WriteLine($"{d.ClassName} {d.Confidence:0.00} ({d.X1:0}, {d.Y1:0}) - ({d.X2:0}, {d.Y2:0})");
/// </code>
/// </example>
public sealed class YoloDetector : IDisposable
{
    readonly Predictor _predictor;
    readonly bool _ownsBackend;
    readonly object _gate = new();
    bool _disposed;

    YoloDetector(IDetectorBackend backend, DetectorOptions options, bool ownsBackend)
    {
        _ownsBackend = ownsBackend;
        Options = options;
        try
        {
            _predictor = new Predictor(backend, new PredictOptions
            {
                ImgSize = options.ImageSize ?? backend.FixedImgSize ?? BackendLoader.DefaultImageSize,
                ConfThres = options.Confidence,
                IouThres = options.Iou,
                MaxDet = options.MaxDetections,
                Classes = options.Classes?.ToArray(),
                Agnostic = options.ClassAgnosticNms,
            });
        }
        catch
        {
            if (ownsBackend) backend.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads a model this project writes or imports: an exported <c>.onnx</c> model, a <c>.ckpt</c> checkpoint
    /// (training or <c>export --format torchsharp</c>), an Ultralytics YOLOv5 <c>.pt</c>, or a <c>.safetensors</c> state dict.
    /// </summary>
    /// <param name="path">The model file.</param>
    /// <param name="options">Backend, device, input size and filtering; null for the defaults.</param>
    /// <exception cref="FileNotFoundException">The file does not exist; the message names it.</exception>
    /// <exception cref="InvalidDataException">The file is not a model this project can read; the message names it.</exception>
    /// <exception cref="ArgumentException">An option is out of range or does not fit the model (e.g. another size for a fixed-size ONNX model).</exception>
    public static YoloDetector Load(string path, DetectorOptions? options = null)
    {
        options ??= new DetectorOptions();
        var backend = BackendLoader.Open(path, options.Backend, options.ImageSize, options.Device, options.Threads, options.OnnxExportDirectory);
        return new YoloDetector(backend, options, ownsBackend: true);
    }

    /// <summary>
    /// Wraps a backend that is already open (for instance one shared with other code). With
    /// <paramref name="ownsBackend"/> false, disposing the detector leaves the backend open.
    /// </summary>
    public static YoloDetector FromBackend(IDetectorBackend backend, DetectorOptions? options = null, bool ownsBackend = false)
    {
        ArgumentNullException.ThrowIfNull(backend);
        return new YoloDetector(backend, options ?? new DetectorOptions(), ownsBackend);
    }

    /// <summary>The options the detector was loaded with.</summary>
    public DetectorOptions Options { get; }

    /// <summary>Class names, index = class id.</summary>
    public IReadOnlyList<string> ClassNames => _predictor.Backend.Names;

    /// <summary>The engine in use: <c>torch</c> or <c>onnx</c>.</summary>
    public string BackendName => _predictor.Backend.Name;

    /// <summary>The network input size in pixels (the longer image side is scaled to it).</summary>
    public int ImageSize => _predictor.Options.ImgSize;

    /// <summary>Detects the objects in one BGR image (as OpenCV decodes it). The image is not changed.</summary>
    /// <exception cref="ArgumentException">The image is empty.</exception>
    public IReadOnlyList<Detection> Detect(Mat image) => Predict(image).Detections;

    /// <summary>Reads an image file and detects its objects.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist; the message names it.</exception>
    /// <exception cref="InvalidDataException">The file cannot be decoded as an image; the message names it.</exception>
    public IReadOnlyList<Detection> Detect(string imagePath)
    {
        using var image = ImageLoading.Read(imagePath);
        return Detect(image);
    }

    /// <summary>
    /// Detects the objects in several BGR images with one forward pass; result <c>i</c> belongs to image <c>i</c>.
    /// A batch of images of different sizes is padded to a square input, so its boxes can differ slightly from
    /// single-image <see cref="Detect(Mat)"/>, which pads minimally.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<Detection>> Detect(IReadOnlyList<Mat> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        lock (_gate)
        {
            ThrowIfDisposed();
            return _predictor.PredictBatch(images);
        }
    }

    /// <summary>Detects the objects in one image and reports the time spent in pre-processing, inference and NMS.</summary>
    public Prediction Predict(Mat image)
    {
        ArgumentNullException.ThrowIfNull(image);
        lock (_gate)
        {
            ThrowIfDisposed();
            return _predictor.Predict(image);
        }
    }

    /// <summary>Runs the model once on a blank input so that one-off initialisation is not billed to the first image.</summary>
    public void Warmup()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            _predictor.Warmup();
        }
    }

    /// <summary>Decodes a video file frame by frame and detects the objects in each; stops early when <paramref name="ct"/> is cancelled.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">OpenCV cannot open or decode the video; the message names it.</exception>
    public IEnumerable<FrameDetections> DetectVideo(string videoPath, CancellationToken ct = default)
    {
        if (!File.Exists(videoPath)) throw new FileNotFoundException($"{videoPath}: video file not found.", videoPath);
        if (!MediaFormats.IsVideo(videoPath))
            throw new ArgumentException($"{videoPath}: not a video file (expected {string.Join(" ", MediaFormats.Videos)}).");
        return Run(MediaSource.Open(videoPath), ct);
    }

    /// <summary>Reads camera <paramref name="index"/> (0 is the first) until it stops delivering frames or <paramref name="ct"/> is cancelled.</summary>
    /// <exception cref="InvalidDataException">No camera with this index can be opened (raised at the first iteration).</exception>
    public IEnumerable<FrameDetections> DetectCamera(int index = 0, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return Run(MediaSource.Open(index.ToString(System.Globalization.CultureInfo.InvariantCulture)), ct);
    }

    IEnumerable<FrameDetections> Run(MediaSource source, CancellationToken ct)
    {
        foreach (var frame in source.Frames(ct: ct))
            using (frame)
                yield return new FrameDetections(frame.Index, frame.Image, Detect(frame.Image));
    }

    /// <summary>Frees the model (waiting for a running call). Safe to call more than once.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            if (_ownsBackend) _predictor.Backend.Dispose();
        }
    }

    void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
