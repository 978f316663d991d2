using System.Globalization;
using OpenCvSharp;

namespace YoloDistill.Detector.Inference;

/// <summary>
/// The frames of a detect source: an image, a folder (its images and videos, sorted by name), a video file or a
/// camera index. Problems are reported up front with the file's name: missing path, a folder with no media,
/// a file OpenCV cannot decode, a camera that does not open.
/// </summary>
public sealed class MediaSource
{
    public string Source { get; }
    public IReadOnlyList<string> Files { get; }
    public int? CameraIndex { get; }

    MediaSource(string source, IReadOnlyList<string> files, int? camera)
    {
        Source = source;
        Files = files;
        CameraIndex = camera;
    }

    public static MediaSource Open(string source)
    {
        if (string.IsNullOrWhiteSpace(source)) throw new ArgumentException("--source is empty: give an image, a folder, a video or a camera index.");
        if (int.TryParse(source, NumberStyles.None, CultureInfo.InvariantCulture, out var cam) && !File.Exists(source))
            return new MediaSource(source, [], cam);
        if (Directory.Exists(source))
        {
            var files = Directory.EnumerateFiles(source)
                .Where(f => MediaFormats.IsImage(f) || MediaFormats.IsVideo(f))
                .OrderBy(f => f, StringComparer.Ordinal).ToArray();
            if (files.Length == 0)
                throw new FileNotFoundException($"{source}: the folder holds no images ({string.Join(" ", MediaFormats.Images)}) or videos ({string.Join(" ", MediaFormats.Videos)}).");
            return new MediaSource(source, files, null);
        }
        if (!File.Exists(source)) throw new FileNotFoundException($"{source}: no such file or folder.", source);
        if (!MediaFormats.IsImage(source) && !MediaFormats.IsVideo(source))
            throw new InvalidDataException($"{source}: unsupported file type '{Path.GetExtension(source)}' (images: {string.Join(" ", MediaFormats.Images)}; videos: {string.Join(" ", MediaFormats.Videos)}).");
        return new MediaSource(source, [source], null);
    }

    /// <summary>Frames to expect (images count one each, videos their frame count; null for a camera).</summary>
    public long? TotalFrames()
    {
        if (CameraIndex is not null) return null;
        long n = 0;
        foreach (var f in Files)
        {
            if (MediaFormats.IsImage(f)) { n++; continue; }
            using var cap = OpenVideo(f);
            n += Math.Max(0, (long)cap.Get(VideoCaptureProperties.FrameCount));
        }
        return n;
    }

    /// <summary>Opens a video file, failing with its name when OpenCV cannot read it.</summary>
    public static VideoCapture OpenVideo(string path)
    {
        var cap = new VideoCapture(path);
        if (!cap.IsOpened())
        {
            cap.Dispose();
            throw new InvalidDataException($"{path}: cannot open the video (not a video, damaged, or a codec OpenCV lacks).");
        }
        return cap;
    }

    public static VideoCapture OpenCamera(int index)
    {
        var cap = new VideoCapture(index);
        if (!cap.IsOpened())
        {
            cap.Dispose();
            throw new InvalidDataException($"camera {index}: no camera with this index could be opened.");
        }
        return cap;
    }

    /// <summary>Frames one by one; the caller disposes each. Videos report their size and rate via <paramref name="onVideo"/>.</summary>
    public IEnumerable<Frame> Frames(Action<string, VideoInfo>? onVideo = null, CancellationToken ct = default)
    {
        if (CameraIndex is { } cam)
        {
            using var cap = OpenCamera(cam);
            var name = $"camera {cam}";
            onVideo?.Invoke(name, VideoInfo.Of(cap, fallbackFps: 30));
            for (int i = 0; !ct.IsCancellationRequested; i++)
            {
                var m = new Mat();
                if (!cap.Read(m) || m.Empty()) { m.Dispose(); yield break; }
                yield return new Frame(name, SourceKind.Camera, i, m);
            }
            yield break;
        }
        foreach (var f in Files)
        {
            if (ct.IsCancellationRequested) yield break;
            if (MediaFormats.IsImage(f))
            {
                var m = Cv2.ImRead(f, ImreadModes.Color);
                if (m.Empty())
                {
                    m.Dispose();
                    throw new InvalidDataException($"{f}: cannot decode the image (damaged or not an image).");
                }
                yield return new Frame(f, SourceKind.Image, 0, m);
                continue;
            }
            using var cap = OpenVideo(f);
            onVideo?.Invoke(f, VideoInfo.Of(cap, fallbackFps: 30));
            int read = 0;
            for (; !ct.IsCancellationRequested; read++)
            {
                var m = new Mat();
                if (!cap.Read(m) || m.Empty()) { m.Dispose(); break; }
                yield return new Frame(f, SourceKind.Video, read, m);
            }
            if (read == 0 && !ct.IsCancellationRequested) throw new InvalidDataException($"{f}: the video opened but no frame could be decoded.");
        }
    }
}

/// <summary>A video's frame size and rate, used to write the annotated copy alike.</summary>
public readonly record struct VideoInfo(int Width, int Height, double Fps)
{
    public static VideoInfo Of(VideoCapture cap, double fallbackFps)
    {
        var fps = cap.Fps;
        return new VideoInfo(cap.FrameWidth, cap.FrameHeight, fps is > 0 and < 1000 ? fps : fallbackFps);
    }
}
