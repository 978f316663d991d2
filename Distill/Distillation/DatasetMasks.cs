using OpenCvSharp;
using TorchSharp;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Distillation;

/// <summary>One image of a dataset as the masks command shows it: letterboxed input, its boxes and its level masks.</summary>
public sealed class ImageMasks : IDisposable
{
    public required long ImageId { get; init; }
    public required string Path { get; init; }
    /// <summary>The img×img letterboxed BGR image.</summary>
    public required Mat Input { get; init; }
    /// <summary>Non-crowd boxes mapped into the letterboxed frame (pixels, x1 y1 x2 y2).</summary>
    public required (float X1, float Y1, float X2, float Y2)[] Boxes { get; init; }
    /// <summary>Per level, H×W bytes (1 = on), row-major.</summary>
    public required (byte[] Cells, int H, int W)[] Levels { get; init; }

    public void Dispose() => Input.Dispose();
}

/// <summary>
/// FGFI masks of dataset images without augmentation: each image letterboxed to img×img as Ultralytics' LetterBox
/// with auto=False (centred, padding 114), its non-crowd boxes mapped the same way, and the masks built by
/// <see cref="ImitationMask"/> (the training code) with the default anchors and strides, a chunk of images at a time.
/// </summary>
public static class DatasetMasks
{
    public const int ChunkSize = 16;

    public static IEnumerable<ImageMasks> Compute(CocoDataset dataset, int img, double psi, int? limit = null, IProgress<int>? progress = null,
        LevelAssignment levels = LevelAssignment.All)
    {
        if (img < 32 || img % 32 != 0) throw new ArgumentException($"--img {img}: must be a positive multiple of 32.");
        var cfg = ModelConfig.FromName("yolov5s", dataset.NumClasses, dataset.Names.ToArray());
        var images = dataset.Images.Take(limit is > 0 ? limit.Value : int.MaxValue).ToArray();
        int done = 0;
        for (int start = 0; start < images.Length; start += ChunkSize)
        {
            var chunk = images.Skip(start).Take(ChunkSize).ToArray();
            var inputs = new Mat[chunk.Length];
            var boxes = new (float, float, float, float)[chunk.Length][];
            var rows = new List<float>();
            for (int i = 0; i < chunk.Length; i++)
            {
                using var im = ImageLoading.Read(chunk[i].Path);
                var lb = Letterbox.Apply(im, img, img, auto: false, scaleUp: true);
                inputs[i] = lb.Image;
                boxes[i] = chunk[i].Labels.Select(b => (
                    (float)(b.X1 * lb.RatioW + lb.PadW), (float)(b.Y1 * lb.RatioH + lb.PadH),
                    (float)(b.X2 * lb.RatioW + lb.PadW), (float)(b.Y2 * lb.RatioH + lb.PadH))).ToArray();
                foreach (var (b, (x1, y1, x2, y2)) in chunk[i].Labels.Zip(boxes[i]))
                    rows.AddRange([i, b.Class, (x1 + x2) / 2 / img, (y1 + y2) / 2 / img, (x2 - x1) / img, (y2 - y1) / img]);
            }
            var built = BuildLevels(rows, chunk.Length, img, cfg, psi, levels);
            for (int i = 0; i < chunk.Length; i++)
            {
                yield return new ImageMasks
                {
                    ImageId = chunk[i].Id, Path = chunk[i].Path, Input = inputs[i], Boxes = boxes[i],
                    Levels = built.Select(l => l[i]).ToArray(),
                };
                done++;
                progress?.Report(done);
            }
        }
    }

    static (byte[] Cells, int H, int W)[][] BuildLevels(List<float> rows, int batch, int img, ModelConfig cfg, double psi, LevelAssignment levels)
    {
        using var scope = NewDisposeScope();
        var targets = rows.Count == 0 ? zeros(0, 6) : tensor(rows.ToArray()).view(-1, 6);
        var masks = ImitationMask.Build(targets, batch, img, img, cfg, psi, levels: levels);
        var result = new (byte[] Cells, int H, int W)[masks.Length][];
        for (int l = 0; l < masks.Length; l++)
        {
            int h = (int)masks[l].shape[1], w = (int)masks[l].shape[2];
            var all = masks[l].to(ScalarType.Byte).data<byte>().ToArray();
            result[l] = Enumerable.Range(0, batch).Select(b => (all.AsSpan(b * h * w, h * w).ToArray(), h, w)).ToArray();
        }
        return result;
    }
}
