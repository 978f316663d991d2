using System.CommandLine;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Training;

namespace YoloDistill.Distill.Cli;

/// <summary>
/// train.py's arguments, shared by the train and distill verbs (same names and defaults as Ultralytics where they exist),
/// turned into <see cref="TrainOptions"/>. The model and its initial weights are the verb's own options
/// (train: --cfg/--model and --weights; distill: --student and --student-weights).
/// </summary>
public sealed class TrainArguments(string verb)
{
    public Option<string?> Data { get; } = new("--data") { Description = "Dataset root in COCO layout (<root>/<split>/, <root>/annotations/instances_<split>.json)" };
    public Option<string> TrainSplit { get; } = new("--train-split", "--split") { Description = "Training split", DefaultValueFactory = _ => "train2017" };
    public Option<string> ValSplit { get; } = new("--val-split") { Description = "Validation split", DefaultValueFactory = _ => "val2017" };
    public Option<string?> HypFile { get; } = new("--hyp") { Description = "Hyperparameter yaml (default hyp.scratch-low)" };
    public Option<int> Epochs { get; } = new("--epochs") { Description = "Epochs", DefaultValueFactory = _ => 100 };
    public Option<int> BatchSize { get; } = SharedOptions.Batch();
    public Option<int> Img { get; } = SharedOptions.Img("Train/val image size in pixels (a multiple of 32)");
    public Option<bool> Rect { get; } = new("--rect") { Description = "Rectangular training batches" };
    public Option<string?> Resume { get; } = new("--resume") { Description = "Continue the run in this folder from its weights/last.ckpt (distill: teacher and method too)" };
    public Option<bool> NoSave { get; } = new("--nosave") { Description = "Only save the final checkpoint" };
    public Option<bool> NoVal { get; } = new("--noval") { Description = "Only validate the final epoch" };
    public Option<bool> NoPlots { get; } = new("--noplots") { Description = "Save no plots" };
    public Option<string> Device { get; } = SharedOptions.Device();
    public Option<bool> MultiScale { get; } = new("--multi-scale") { Description = "Vary the image size by +/- 50%" };
    public Option<OptimizerKind> Optimizer { get; } = new("--optimizer") { Description = "SGD, Adam or AdamW", DefaultValueFactory = _ => OptimizerKind.SGD };
    public Option<int> Workers { get; } = SharedOptions.Workers();
    public Option<bool> CosLr { get; } = new("--cos-lr") { Description = "Cosine learning-rate schedule" };
    public Option<double> LabelSmoothing { get; } = new("--label-smoothing") { Description = "Label smoothing epsilon", DefaultValueFactory = _ => 0.0 };
    public Option<int> Patience { get; } = new("--patience") { Description = "EarlyStopping patience (epochs without improvement)", DefaultValueFactory = _ => 100 };
    public Option<int[]> Freeze { get; } = new("--freeze") { Description = "Freeze layers: backbone=10, first3=0 1 2", DefaultValueFactory = _ => [0], AllowMultipleArgumentsPerToken = true };
    public Option<int> SavePeriod { get; } = new("--save-period") { Description = "Save a checkpoint every N epochs (disabled if < 1)", DefaultValueFactory = _ => -1 };
    public Option<int> Seed { get; } = SharedOptions.Seed("Global training seed");
    public Option<int> CloseMosaic { get; } = new("--close-mosaic") { Description = "Turn mosaic off for the final N epochs", DefaultValueFactory = _ => 0 };
    public Option<int> ValEvery { get; } = new("--val-every") { Description = "Validate every N epochs", DefaultValueFactory = _ => 1 };
    public Option<int> DiagnoseEvery { get; } = new("--diagnose-every") { Description = "Every N batches, write each loss term's gradient norm and cosines, and the gradient clip's effect, to diagnostics.csv (0 = off)", DefaultValueFactory = _ => 0 };
    public Option<bool> NoAutoAnchor { get; } = new("--noautoanchor") { Description = "Disable AutoAnchor (keep the model's anchors; by default a new run measures their fit to the training boxes and evolves new ones when BPR <= 0.98)" };
    public Option<bool> Cache { get; } = new("--cache") { Description = "Cache decoded images in RAM" };
    public Option<int> Threads { get; } = SharedOptions.Threads();
    public Option<string> Project { get; } = SharedOptions.Project();
    public Option<string> Name { get; } = SharedOptions.Name();
    public Option<string?> Out { get; } = new("--out") { Description = $"Run folder (default <project>/{verb}/exp, exp2, ...)" };

    public void AddTo(Command cmd)
    {
        foreach (var o in new Option[]
                 {
                     Data, TrainSplit, ValSplit, HypFile, Epochs, BatchSize, Img, Rect, Resume, NoSave, NoVal, NoPlots, Device, MultiScale,
                     Optimizer, Workers, CosLr, LabelSmoothing, Patience, Freeze, SavePeriod, Seed, CloseMosaic, ValEvery, DiagnoseEvery, NoAutoAnchor, Cache, Threads, Project, Name, Out,
                 })
            cmd.Options.Add(o);
    }

    /// <summary>Applies --threads before any tensor work.</summary>
    public void ApplyThreads(ParseResult pr)
    {
        if (pr.GetValue(Threads) > 0) TorchSharp.torch.set_num_threads(pr.GetValue(Threads));
    }

    /// <summary>The hyperparameters: --hyp yaml, else hyp.scratch-low.</summary>
    public Hyp LoadHyp(ParseResult pr) => pr.GetValue(HypFile) is { Length: > 0 } path ? HypYaml.Load(path) : new Hyp();

    /// <summary>Options of a new run in a fresh run folder (created only once the data root is known to exist).</summary>
    public TrainOptions Bind(ParseResult pr, string model, string? weights)
    {
        var data = pr.GetValue(Data);
        if (string.IsNullOrWhiteSpace(data)) throw new ArgumentException("--data is required (a dataset root in COCO layout), unless --resume is given.");
        if (!Directory.Exists(data)) throw new DirectoryNotFoundException($"--data {data}: dataset root not found.");
        var o = new TrainOptions
        {
            Data = data, TrainSplit = pr.GetValue(TrainSplit)!, ValSplit = pr.GetValue(ValSplit)!,
            Weights = weights, Cfg = model,
            Epochs = pr.GetValue(Epochs), BatchSize = pr.GetValue(BatchSize), ImgSize = pr.GetValue(Img), Rect = pr.GetValue(Rect),
            NoSave = pr.GetValue(NoSave), NoVal = pr.GetValue(NoVal), NoPlots = pr.GetValue(NoPlots), Device = pr.GetValue(Device)!,
            MultiScale = pr.GetValue(MultiScale), Optimizer = pr.GetValue(Optimizer),
            Workers = pr.GetValue(Workers), CosLr = pr.GetValue(CosLr), LabelSmoothing = pr.GetValue(LabelSmoothing),
            Patience = pr.GetValue(Patience), Freeze = pr.GetValue(Freeze) ?? [0], SavePeriod = pr.GetValue(SavePeriod),
            Seed = pr.GetValue(Seed), CloseMosaic = pr.GetValue(CloseMosaic), ValEvery = pr.GetValue(ValEvery), DiagnoseEvery = pr.GetValue(DiagnoseEvery), NoAutoAnchor = pr.GetValue(NoAutoAnchor), Cache = pr.GetValue(Cache) ? "ram" : null,
        };
        o.Validate();
        return o with { SaveDir = RunDirectory.Resolve(pr.GetValue(Out), verb, pr.GetValue(Project)!, pr.GetValue(Name)!) };
    }
}
