using YoloDistill.Detector.Common;

namespace YoloDistill.Detector.Training;

/// <summary>Which torch.optim class train.py's --optimizer picks.</summary>
public enum OptimizerKind { SGD, Adam, AdamW }

/// <summary>
/// Which parameters the gradient clip at norm 10 acts on. train.py clips model.parameters(); a run with extensions
/// (distillation's adapters) has parameters train.py does not know. The choice only matters when an extension adds some.
/// </summary>
public enum GradClip
{
    /// <summary>The model's and the extensions' parameters together, one total norm (this trainer's behaviour before the choice existed).</summary>
    All,
    /// <summary>
    /// Only the model's parameters, as train.py's clip_grad_norm_(model.parameters()); the extensions' are not clipped, so
    /// neither their gradient shrinks the student's step nor does the clip reach them (the adapters' gradient comes
    /// only from the distillation terms, whose weights bound it).
    /// </summary>
    Student,
    /// <summary>The model's parameters and the extensions' each clipped at norm 10 on their own: decoupled, with a bound on both.</summary>
    Separate,
}

/// <summary>
/// The arguments of Ultralytics v7.0 train.py that this trainer honours, with train.py's defaults.
/// Paths are resolved by the caller; the trainer only reads and writes where it is told.
/// </summary>
public sealed record TrainOptions
{
    /// <summary>Dataset root in COCO layout (train2017/, val2017/, annotations/).</summary>
    public string Data { get; init; } = "";
    public string TrainSplit { get; init; } = "train2017";
    public string ValSplit { get; init; } = "val2017";
    /// <summary>Initial weights (.pt, .safetensors or a checkpoint); null or empty trains from scratch.</summary>
    public string? Weights { get; init; }
    /// <summary>Model when training from scratch (yolov5n ... yolov5x).</summary>
    public string Cfg { get; init; } = "yolov5s";
    public int Epochs { get; init; } = 100;
    public int BatchSize { get; init; } = 16;
    public int ImgSize { get; init; } = 640;
    public bool Rect { get; init; }
    public bool NoSave { get; init; }
    public bool NoVal { get; init; }
    public bool NoPlots { get; init; }
    public string Device { get; init; } = "auto";
    public bool MultiScale { get; init; }
    /// <summary>train.py --single-cls (train as one class). Not supported by this trainer yet: Validate() refuses it.</summary>
    public bool SingleCls { get; init; }
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.SGD;
    /// <summary>Requested loader workers; see <see cref="EffectiveWorkers"/>.</summary>
    public int Workers { get; init; } = 8;
    public bool CosLr { get; init; }
    /// <summary>Label smoothing epsilon; when non-zero it replaces the hyp file's label_smoothing (train.py: hyp["label_smoothing"] = opt.label_smoothing).</summary>
    public double LabelSmoothing { get; init; }
    /// <summary>EarlyStopping patience in epochs without fitness improvement (0 disables).</summary>
    public int Patience { get; init; } = 100;
    /// <summary>One value N freezes model.0 .. model.N-1; several values freeze exactly those layers (train.py --freeze).</summary>
    public int[] Freeze { get; init; } = [0];
    /// <summary>Save a checkpoint every N epochs in addition to last/best (-1 disables).</summary>
    public int SavePeriod { get; init; } = -1;
    public int Seed { get; init; }
    /// <summary>train.py --noautoanchor: keep the model's anchors without measuring their fit to the training boxes.</summary>
    public bool NoAutoAnchor { get; init; }
    /// <summary>Turn mosaic off for the final N epochs (not in v7.0, which never turns it off; 0 keeps v7.0 behaviour).</summary>
    public int CloseMosaic { get; init; }
    /// <summary>Validate every N epochs (the final epoch is always validated); v7.0 validates every epoch.</summary>
    public int ValEvery { get; init; } = 1;
    /// <summary>Cache decoded images in memory ("ram") or not (null).</summary>
    public string? Cache { get; init; }
    /// <summary>
    /// Every N batches, compute the gradient of each loss term separately on the model's parameters and write their
    /// norms and cosines, and how the gradient clip acted, to diagnostics.csv (0 = off; each probe costs a backward per term).
    /// </summary>
    public int DiagnoseEvery { get; init; }
    /// <summary>Which parameters the gradient clip acts on (see <see cref="GradClip"/>); runs saved before it existed read All.</summary>
    public GradClip Clip { get; init; } = GradClip.All;
    /// <summary>Run folder: weights/, results.csv, results.png, hyp.yaml, opt.yaml.</summary>
    public string SaveDir { get; init; } = "runs/train/exp";

    /// <summary>Nominal batch size: gradients are accumulated to about 64 images per optimizer step.</summary>
    public const int NominalBatchSize = 64;

    /// <summary>train.py: accumulate = max(round(nbs / batch_size), 1), Python's round (half to even).</summary>
    public int Accumulate => Math.Max((int)Math.Round(NominalBatchSize / (double)BatchSize, MidpointRounding.ToEven), 1);

    /// <summary>train.py scales weight_decay by batch_size * accumulate / nbs.</summary>
    public double ScaledWeightDecay(Hyp hyp) => hyp.WeightDecay * BatchSize * Accumulate / NominalBatchSize;

    /// <summary>dataloaders.py: min(cpu_count, batch_size if batch_size &gt; 1 else 0, workers).</summary>
    public int EffectiveWorkers(int cpuCount) => Math.Max(0, Math.Min(Math.Min(cpuCount, BatchSize > 1 ? BatchSize : 0), Workers));

    /// <summary>Names of the layers to freeze, as "model.{i}." prefixes.</summary>
    public IReadOnlyList<string> FreezePrefixes()
    {
        var layers = Freeze.Length > 1 ? Freeze : Enumerable.Range(0, Math.Max(0, Freeze.FirstOrDefault()));
        return layers.Select(i => $"model.{i}.").ToArray();
    }

    public string WeightsDir => Path.Combine(SaveDir, "weights");
    public string LastPath => Path.Combine(WeightsDir, "last.ckpt");
    public string BestPath => Path.Combine(WeightsDir, "best.ckpt");
    public string ResultsCsvPath => Path.Combine(SaveDir, "results.csv");
    public string DiagnosticsCsvPath => Path.Combine(SaveDir, "diagnostics.csv");

    /// <summary>Rejects values train.py would reject or that cannot work, naming the option.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"--epochs {Epochs}: must be at least 1.");
        if (BatchSize < 1) throw new ArgumentException($"--batch-size {BatchSize}: must be at least 1.");
        if (ImgSize < 64 || ImgSize % 32 != 0) throw new ArgumentException($"--img {ImgSize}: must be a multiple of 32, at least 64.");
        if (Workers < 0) throw new ArgumentException($"--workers {Workers}: must not be negative.");
        if (DiagnoseEvery < 0) throw new ArgumentException($"--diagnose-every {DiagnoseEvery}: must not be negative.");
        if (ValEvery < 1) throw new ArgumentException($"--val-every {ValEvery}: must be at least 1.");
        if (CloseMosaic < 0) throw new ArgumentException($"--close-mosaic {CloseMosaic}: must not be negative.");
        if (Freeze.Any(f => f < 0)) throw new ArgumentException("--freeze: layer indices must not be negative.");
        if (SingleCls) throw new ArgumentException("--single-cls is not supported yet: the loader keeps the dataset's classes.");
        if (LabelSmoothing is < 0 or >= 1) throw new ArgumentException($"--label-smoothing {LabelSmoothing}: must be in [0, 1).");
    }
}
