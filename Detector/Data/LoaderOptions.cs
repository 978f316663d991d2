using YoloDistill.Detector.Common;

namespace YoloDistill.Detector.Data;

/// <summary>
/// How <see cref="DetectionLoader"/> builds batches. Defaults are Ultralytics' training dataloader
/// (train.py: augment, shuffle, mosaic per hyp, pad 0.0, stride 32, 8 workers capped by cores and batch size);
/// <see cref="Validation"/> gives val.py's (rect batches, pad 0.5, no augmentation, no shuffle).
/// </summary>
public sealed record LoaderOptions
{
    /// <summary>Training/inference size (long side), pixels.</summary>
    public int ImgSize { get; init; } = 640;
    public int BatchSize { get; init; } = 16;
    /// <summary>Mosaic, random_perspective, HSV, flips, mixup as the hyp says; also INTER_LINEAR resizing.</summary>
    public bool Augment { get; init; } = true;
    /// <summary>Rectangular batches: images sorted by aspect ratio, one padded shape per batch; disables mosaic and shuffle.</summary>
    public bool Rect { get; init; }
    /// <summary>Extra padding (in strides) of rect batch shapes: 0.0 for training, 0.5 for val.py.</summary>
    public double Pad { get; init; }
    public int Stride { get; init; } = 32;
    /// <summary>Background threads building batches (Ultralytics: min(cpu count, batch size, workers)).</summary>
    public int Workers { get; init; } = 8;
    /// <summary>Batches ready in advance per worker.</summary>
    public int Prefetch { get; init; } = 2;
    /// <summary>Same seed ⇒ same batches whatever the worker count or timing.</summary>
    public int Seed { get; init; }
    /// <summary>Keep decoded, resized images in RAM after first use.</summary>
    public bool Cache { get; init; }
    public bool Shuffle { get; init; } = true;
    public Hyp Hyp { get; init; } = new();
    /// <summary>Turn mosaic off for this many final epochs (0 = never), given the total epoch count.</summary>
    public int CloseMosaic { get; init; }
    /// <summary>
    /// Data-parallel training: this process's rank and the number of processes. Each takes its shard of every epoch's
    /// order (<see cref="Distributed.EpochShard"/>), and an image keeps the augmentation it gets at its place in the whole
    /// epoch, so the ranks together see what one process would. Default 0 of 1.
    /// </summary>
    public int Rank { get; init; }
    public int WorldSize { get; init; } = 1;

    /// <summary>val.py's dataloader: rect batches with pad 0.5, no augmentation, dataset order sorted by aspect ratio.</summary>
    public static LoaderOptions Validation(int imgSize = 640, int batchSize = 32, int workers = 8) => new()
    {
        ImgSize = imgSize, BatchSize = batchSize, Augment = false, Rect = true, Pad = 0.5, Shuffle = false, Workers = workers,
    };

    public int EffectiveWorkers => Math.Max(1, Math.Min(Math.Min(Environment.ProcessorCount, BatchSize), Workers));
}
