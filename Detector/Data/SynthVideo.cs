using OpenCvSharp;

namespace YoloDistill.Detector.Data;

/// <summary>An mp4 of the synthetic domain: class objects and distractors moving and bouncing over a textured background.</summary>
public static class SynthVideo
{
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
        using var frame = new Mat();
        for (int f = 0; f < frames; f++)
        {
            background.CopyTo(frame);
            for (int k = 0; k < objs.Count; k++)
            {
                var (o, vx, vy, spin) = objs[k];
                SynthScene.Draw(frame, o);
                double r = o.Size / 2, x = o.Cx + vx, y = o.Cy + vy;
                if (x < r || x > width - r) { vx = -vx; x = Math.Clamp(x, r, width - r); }
                if (y < r || y > height - r) { vy = -vy; y = Math.Clamp(y, r, height - r); }
                objs[k] = (o with { Cx = x, Cy = y, Angle = o.Angle + spin }, vx, vy, spin);
            }
            writer.Write(frame);
        }
    }
}
