using System.Diagnostics;
using OpenCvSharp;

namespace YoloDistill.Detector.Inference;

/// <summary>Progress of a detect run: frames done, frames expected (null for a camera), recent frames per second.</summary>
public readonly record struct DetectProgress(long Done, long? Total, double Fps, string Source);

/// <summary>
/// What a detect run wrote and how fast it went. <see cref="Stopped"/>: cancelled before the source's end; what was
/// written is whole (the video finalised, detections.csv complete) up to the last frame counted in <see cref="Frames"/>.
/// </summary>
public sealed record DetectSummary(
    long Frames, long Detections, IReadOnlyDictionary<string, int> PerClass, IReadOnlyList<string> Outputs, string CsvPath,
    double MeanPreprocessMs, double MeanInferenceMs, double MeanNmsMs, double Fps)
{
    public bool Stopped { get; init; }
    /// <summary>Frames the source holds (null for a camera).</summary>
    public long? TotalFrames { get; init; }
}

/// <summary>
/// Runs a detector over every frame of a source and writes, into one folder, annotated images (same file names),
/// one annotated .mp4 per video or camera (the source's size and frame rate, fps drawn on each frame) and
/// detections.csv with every box. Cancelling stops after the current frame and still closes every file properly.
/// </summary>
public sealed class DetectJob(YoloDetector detector)
{
    /// <summary>Frames over which the fps overlay and the progress rate are averaged.</summary>
    const int RateWindow = 30;

    public DetectSummary Run(MediaSource source, string outDir, IProgress<DetectProgress>? progress = null,
        Action<string, Mat>? view = null, CancellationToken ct = default)
    {
        Directory.CreateDirectory(outDir);
        detector.Warmup();
        var csvPath = Path.Combine(outDir, "detections.csv");
        var outputs = new List<string>();
        var perClass = new SortedDictionary<string, int>(StringComparer.Ordinal);
        long frames = 0, boxes = 0;
        double pre = 0, inf = 0, nms = 0;
        long? total = source.TotalFrames();
        var recent = new Queue<double>();
        var wall = Stopwatch.StartNew();
        var tick = Stopwatch.StartNew();
        VideoWriter? writer = null;
        string? writerSource = null;
        VideoInfo info = default;

        try
        {
            using var csv = new DetectionCsv(csvPath);
            foreach (var frame in source.Frames((name, vi) => { writerSource = null; info = vi; }, ct))
            {
                using (frame)
                {
                    var p = detector.Predict(frame.Image);
                    csv.Write(frame.Source, frame.Index, p.Detections);
                    foreach (var d in p.Detections) perClass[d.ClassName] = perClass.GetValueOrDefault(d.ClassName) + 1;
                    boxes += p.Detections.Count;
                    pre += p.PreprocessMs; inf += p.InferenceMs; nms += p.NmsMs;
                    Annotator.Draw(frame.Image, p.Detections);

                    // Wall time per frame (decode, inference, drawing, writing), not only the model's.
                    recent.Enqueue(tick.Elapsed.TotalSeconds);
                    tick.Restart();
                    if (recent.Count > RateWindow) recent.Dequeue();
                    double fps = recent.Count / Math.Max(recent.Sum(), 1e-9);

                    if (frame.Kind == SourceKind.Image)
                    {
                        var path = Path.Combine(outDir, Path.GetFileName(frame.Source));
                        if (!Cv2.ImWrite(path, frame.Image)) throw new IOException($"{path}: could not write the annotated image.");
                        outputs.Add(path);
                    }
                    else
                    {
                        if (writerSource != frame.Source)
                        {
                            writer?.Dispose();
                            var stem = frame.Kind == SourceKind.Camera ? frame.Source.Replace(' ', '_') : Path.GetFileNameWithoutExtension(frame.Source);
                            var path = Path.Combine(outDir, stem + ".mp4");
                            var size = new Size(info.Width > 0 ? info.Width : frame.Image.Cols, info.Height > 0 ? info.Height : frame.Image.Rows);
                            writer = new VideoWriter(path, FourCC.MP4V, info.Fps, size);
                            if (!writer.IsOpened()) throw new IOException($"{path}: could not open a video writer (mp4v).");
                            writerSource = frame.Source;
                            outputs.Add(path);
                        }
                        Annotator.DrawFps(frame.Image, fps);
                        writer!.Write(frame.Image);
                    }
                    view?.Invoke(frame.Source, frame.Image);
                    frames++;
                    progress?.Report(new DetectProgress(frames, total, fps, frame.Source));
                }
            }
        }
        finally
        {
            writer?.Dispose();
        }
        double n = Math.Max(frames, 1);
        return new DetectSummary(frames, boxes, perClass, outputs, csvPath, pre / n, inf / n, nms / n,
            frames / Math.Max(wall.Elapsed.TotalSeconds, 1e-9))
        {
            Stopped = ct.IsCancellationRequested && (total is null || frames < total), TotalFrames = total,
        };
    }
}
