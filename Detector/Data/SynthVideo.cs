using OpenCvSharp;
using YoloDistill.Detector.Common;

namespace YoloDistill.Detector.Data;

/// <summary>
/// An mp4 of the synthetic domain: class objects and distractors moving and bouncing over a textured background, and
/// its ground truth: every class object's box in every frame, written beside the video as detections.csv is by detect
/// (<see cref="LabelsPath"/>; conf 1), so a detector's output on the video can be scored against it.
/// </summary>
public static class SynthVideo
{
    /// <summary>The ground-truth file of a video: "clip.mp4" -> "clip.labels.csv".</summary>
    public static string LabelsPath(string videoFile) => Path.ChangeExtension(videoFile, ".labels.csv");

    public static void Generate(string outFile, int seed, int frames = 150, double fps = 25, int width = 640, int height = 360)
    {
        if (frames < 1 || fps <= 0 || width < 32 || height < 32)
            throw new ArgumentException($"video needs frames >= 1, fps > 0 and a size of at least 32x32 (got {frames} frames, {fps} fps, {width}x{height})");
        var dir = Path.GetDirectoryName(Path.GetFullPath(outFile));
        if (dir != null) Directory.CreateDirectory(dir);
        var rng = new SampleRng(seed, 7);
        using var background = SynthScene.Background(width, height, rng);
        int n = 4 + rng.NextInt(5), nd = 2 + rng.NextInt(3);
        var objs = new List<(SynthObject O, double Vx, double Vy, double Spin)>();
        for (int k = 0; k < n + nd; k++)
        {
            var o = SynthScene.RandomObject(width, height, rng, distractor: k >= n);
            o = o with { Size = Math.Min(o.Size, 0.3 * Math.Min(width, height)) + 6 };
            objs.Add((o, rng.Uniform(-4, 4), rng.Uniform(-3, 3), rng.Uniform(-0.03, 0.03)));
        }
        using var writer = new VideoWriter(outFile, FourCC.MP4V, fps, new Size(width, height));
        if (!writer.IsOpened()) throw new IOException($"cannot open '{outFile}' for writing an mp4v video (OpenCV VideoWriter)");
        var labelsPath = LabelsPath(outFile);
        var source = Path.GetFileName(outFile);
        // Distractors are drawn first, behind the class objects, so that no labelled object is hidden by an unlabelled one.
        var order = Enumerable.Range(n, nd).Concat(Enumerable.Range(0, n)).ToArray();
        AtomicFile.WriteToTempPath(labelsPath, tmp =>
        {
            using var labels = new Inference.DetectionCsv(tmp);
            using var frame = new Mat();
            for (int f = 0; f < frames; f++)
            {
                background.CopyTo(frame);
                var boxes = new List<Inference.Detection>();
                foreach (int k in order)
                {
                    var (o, vx, vy, spin) = objs[k];
                    var box = SynthScene.Draw(frame, o);
                    if (o.Class >= 0)
                        boxes.Add(new Inference.Detection(o.Class, SynthDomain.Shapes.Classes[o.Class].Name, 1f, (float)box.X1, (float)box.Y1, (float)box.X2, (float)box.Y2));
                    double r = o.Size / 2, x = o.Cx + vx, y = o.Cy + vy;
                    if (x < r || x > width - r) { vx = -vx; x = Math.Clamp(x, r, width - r); }
                    if (y < r || y > height - r) { vy = -vy; y = Math.Clamp(y, r, height - r); }
                    objs[k] = (o with { Cx = x, Cy = y, Angle = o.Angle + spin }, vx, vy, spin);
                }
                writer.Write(frame);
                labels.Write(source, f, boxes);
            }
        });
    }
}
