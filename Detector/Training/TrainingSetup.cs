using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Distributed;
using YoloDistill.Detector.Loss;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Weights;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Training;

/// <summary>
/// Everything a run is built from, in train.py's order: the data, the model config, the model (seeded, with imported
/// weights), frozen layers, the loader, AutoAnchor (new runs only), the extensions' setup, the optimizer's three parameter groups, the lr
/// schedule, the EMA, the loss and the validator. On resume the model and its state come from the checkpoint instead
/// (<see cref="CheckpointRestore"/>), so neither weights nor fp16 rounding are applied here. The order matters: the
/// seed fixes the initial weights only if nothing draws from torch's generator before the model is built.
/// </summary>
internal sealed class TrainingSetup : IDisposable
{
    readonly List<string> notes = [];

    public TrainOptions Options { get; }
    public Hyp Hyp { get; }
    public Device Device { get; }
    public CocoDataset TrainSet { get; }
    /// <summary>The model's definition; its anchors are AutoAnchor's when it replaced them.</summary>
    public ModelConfig Config { get; private set; }
    /// <summary>What AutoAnchor measured and decided before training; null on resume, with --noautoanchor or without boxes.</summary>
    public AutoAnchorReport? AnchorReport { get; }
    public YoloModel Model { get; }
    public DetectionLoader Loader { get; }
    /// <summary>The processes of this run (one, or the ranks of mpirun); rank 0 validates and writes.</summary>
    public IProcessGroup Group { get; }
    public int WarmupIterations { get; }
    public OptimizerHelper Optimizer { get; }
    public LrSchedule Schedule { get; }
    /// <summary>
    /// The parameters clipped at norm 10 as one set: the model's and the extensions' with <see cref="GradClip.All"/>, the
    /// model's alone otherwise (train.py clips model.parameters()).
    /// </summary>
    public Parameter[] ClipParameters { get; }
    /// <summary>The extensions' trainable parameters (<see cref="ITrainingExtension.TrainableModules"/>): the adapters.</summary>
    public Parameter[] ExtensionParameters { get; }
    /// <summary>The model's and the extensions' parameters: what the processes average gradients over.</summary>
    public Parameter[] AllParameters { get; }
    public GradientDiagnostics? Diagnostics { get; }
    public ModelEma Ema { get; }
    public ComputeLoss ComputeLoss { get; }
    public IEpochValidator Validator { get; }
    /// <summary>What setup did (weights transferred, layers frozen, optimizer groups), for the caller to show.</summary>
    public IReadOnlyList<string> Notes => notes;

    public TrainingSetup(TrainOptions options, Hyp hyp, IReadOnlyList<ITrainingExtension> extensions, IEpochValidator? validator, ResumePoint? resume)
    {
        Options = options;
        Group = ProcessGroup.Current;
        if (Group.WorldSize > 1 && options.BatchSize % Group.WorldSize != 0)
            throw new ArgumentException($"--batch {options.BatchSize} is the batch of all {Group.WorldSize} processes together and must be a multiple of their number.");
        Device = DeviceSelector.Parse(options.Device);
        // Several processes on a machine with GPUs: each takes its own (local rank), as torch.distributed.run's LOCAL_RANK.
        if (Group.WorldSize > 1 && Device.type == DeviceType.CUDA && options.Device.Trim().ToLowerInvariant() is "auto" or "cuda" or "")
            Device = new torch.Device(DeviceType.CUDA, ProcessGroup.LaunchedLocalRank() % Math.Max(1, torch.cuda.device_count()));
        Hyp = options.LabelSmoothing != 0 ? hyp with { LabelSmoothing = options.LabelSmoothing } : hyp;
        // Rank 0 alone writes the run folder (train.py: RANK in {-1, 0}).
        if (Group.IsMain) Directory.CreateDirectory(options.WeightsDir);

        TrainSet = CocoDataset.Load(options.Data, options.TrainSplit);
        if (Group.WorldSize > 1) RequireAgreement(options, TrainSet);
        Config = ChooseConfig(TrainSet.Names.ToArray(), resume);
        Model = BuildModel(importWeights: resume is null);
        Freeze();

        Loader = new DetectionLoader(TrainSet, new LoaderOptions
        {
            ImgSize = options.ImgSize, BatchSize = options.BatchSize / Group.WorldSize, Rank = Group.Rank, WorldSize = Group.WorldSize,
            Augment = true, Rect = options.Rect, Pad = 0.0, Stride = 32,
            Workers = Math.Max(1, options.EffectiveWorkers(Environment.ProcessorCount)), Seed = options.Seed, Cache = options.Cache is not null,
            Shuffle = !options.Rect, Hyp = Hyp, CloseMosaic = options.CloseMosaic,
        });
        WarmupIterations = Warmup.Iterations(Hyp.WarmupEpochs, Loader.BatchCount);
        // train.py runs check_anchors here, after the loaders, for a new run only: a resumed one keeps its checkpoint's anchors.
        if (resume is null && !options.NoAutoAnchor) AnchorReport = RunAutoAnchor(extensions);
        // Extensions build their modules now, on the device, so that the optimizer below includes them.
        foreach (var ext in extensions) ext.Setup(new TrainingContext(Model, Device, options, Hyp, Loader.BatchCount));

        var extensionModules = extensions.SelectMany(e => e.TrainableModules).ToArray();
        Optimizer = BuildOptimizer(extensionModules);
        ExtensionParameters = extensionModules.SelectMany(m => m.parameters()).ToArray();
        AllParameters = [.. Model.parameters(), .. ExtensionParameters];
        ClipParameters = options.Clip == GradClip.All ? AllParameters : Model.parameters().ToArray();
        // Every rank starts from rank 0's weights (DDP's broadcast at construction): same seed gives the same model, but
        // a rank must not depend on that.
        if (Group.WorldSize > 1) Group.Broadcast([.. AllParameters, .. Model.buffers()]);
        if (options.DiagnoseEvery > 0 && Group.IsMain)
            Diagnostics = new GradientDiagnostics(options.DiagnosticsCsvPath, options.DiagnoseEvery, Model.parameters().Where(p => p.requires_grad).ToArray())
            {
                // With a clip of the model alone the extensions' norm is a second record; with All it is part of the one total.
                RecordsExtensions = options.Clip != GradClip.All && ExtensionParameters.Length > 0,
            };
        Schedule = new LrSchedule(options.Epochs, Hyp.Lrf, options.CosLr);

        // EMA before the fp16 rounding below, as in train.py.
        var emaCopy = new YoloModel(Config);
        emaCopy.to(Device);
        Ema = new ModelEma(Model, emaCopy);
        if (resume is null) RoundToHalfPrecision();

        ComputeLoss = new ComputeLoss(Hyp.ScaledForModel(Config.NumLevels, Config.Nc, options.ImgSize), Config);
        Validator = validator ?? new EpochValidator(CocoDataset.Load(options.Data, options.ValSplit), options.ImgSize, options.BatchSize * 2,
                                                    Math.Max(1, options.EffectiveWorkers(Environment.ProcessorCount) * 2));
    }

    /// <summary>
    /// Every rank must train the same run on the same data: a fingerprint of the options and of the training split
    /// (its images and boxes) is compared across the processes before anything is built.
    /// </summary>
    void RequireAgreement(TrainOptions o, CocoDataset data)
    {
        var text = string.Join("|", o.Data, o.TrainSplit, o.ValSplit, o.Weights, o.Cfg, o.Epochs, o.BatchSize, o.ImgSize, o.Seed, o.Rect,
            o.MultiScale, o.Optimizer, o.CosLr, o.Clip, data.Count, data.Images.Sum(im => (long)im.Labels.Length));
        long h = BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text))) & long.MaxValue;
        long max = Group.AllReduceMax(h), min = -Group.AllReduceMax(-h);
        if (max != min)
            throw new ArgumentException($"the {Group.WorldSize} processes disagree on the data or the options (rank {Group.Rank}: {data.Count} images in " +
                                        $"{o.Data}/{o.TrainSplit}, {o.Epochs} epochs, batch {o.BatchSize}, img {o.ImgSize}, seed {o.Seed}); start every rank with the same command.");
    }

    /// <summary>
    /// The resumed run's config, or the one of the initial weights with this dataset's classes (everything whose shape
    /// fits is kept, i.e. all but Detect's output convs when nc differs), or --cfg's from scratch.
    /// </summary>
    ModelConfig ChooseConfig(string[] names, ResumePoint? resume)
    {
        var o = Options;
        if (resume is not null)
        {
            var c = resume.Checkpoint;
            if (c.Config.Nc != names.Length)
                throw new InvalidDataException($"{resume.Path}: checkpoint has {c.Config.Nc} classes, the dataset {o.Data} has {names.Length}.");
            return c.Config with { Names = names };
        }
        if (!string.IsNullOrEmpty(o.Weights))
        {
            if (!File.Exists(o.Weights)) throw new FileNotFoundException($"{o.Weights}: weights file not found.", o.Weights);
            if (Checkpoint.IsCheckpoint(o.Weights))
            {
                using var c = Checkpoint.Load(o.Weights);
                return new ModelConfig { Scale = c.Config.Scale, Nc = names.Length, Names = names, AnchorsPx = c.Config.AnchorsPx, Strides = c.Config.Strides };
            }
            using var w = WeightsFile.Load(o.Weights);
            return new ModelConfig { Scale = w.Config.Scale, Nc = names.Length, Names = names, AnchorsPx = w.Config.AnchorsPx, Strides = w.Config.Strides };
        }
        return ModelConfig.FromName(o.Cfg, names.Length, names);
    }

    YoloModel BuildModel(bool importWeights)
    {
        // train.py: init_seeds(opt.seed + 1 + RANK) before the model is built, so a seed fixes the initial weights.
        torch.manual_seed(Options.Seed + 1);
        var model = new YoloModel(Config);
        if (importWeights && !string.IsNullOrEmpty(Options.Weights))
        {
            using var w = WeightsFile.Load(Options.Weights);
            var report = StateDictImporter.LoadInto(model, w);
            notes.Add($"{Options.Weights}: {report.Summary}");
        }
        model.to(Device);
        return model;
    }

    /// <summary>
    /// check_anchors on the training split at the training size, anchor_t from the hyps, seeded by the run's seed.
    /// New anchors go into the model (and <see cref="Config"/>) before the extensions, the EMA copy and the optimizer are
    /// built, so all of them, the loss and every checkpoint see them; train.py's EMA already exists at that point and
    /// takes the new anchors within its first updates instead.
    /// </summary>
    AutoAnchorReport? RunAutoAnchor(IReadOnlyList<ITrainingExtension> extensions)
    {
        var sizes = LabelSizes.FromDataset(TrainSet);
        if (sizes.Count == 0)
        {
            // check_anchors fails inside its TryExcept on a split without boxes and training goes on; so here.
            notes.Add("AutoAnchor: the training split has no boxes; the anchors are kept.");
            return null;
        }
        var reason = extensions.OfType<IFixedAnchors>().Select(e => e.FixedAnchorsReason).FirstOrDefault(r => r is not null);
        var report = AutoAnchor.Check(sizes, CurrentAnchorsPx(), Config.Strides, Options.ImgSize,
                                      new AutoAnchorOptions { AnchorT = Hyp.AnchorT, Seed = Options.Seed }, reason);
        if (report.Replaced)
        {
            Model.SetAnchors(HalfRounded(report.AnchorsPx, Config.Strides));
            Config = Model.Config;
        }
        notes.AddRange(report.Describe());
        return report;
    }

    /// <summary>Detect's anchors buffer times the strides (check_anchors reads m.anchors * stride, not the yaml).</summary>
    float[][] CurrentAnchorsPx()
    {
        using var _ = no_grad();
        var flat = Model.Head.Anchors.cpu().contiguous().data<float>().ToArray();
        int nl = Config.NumLevels, per = flat.Length / nl;
        return Enumerable.Range(0, nl).Select(l => flat.Skip(l * per).Take(per).Select(v => v * Config.Strides[l]).ToArray()).ToArray();
    }

    /// <summary>
    /// Anchors as they come out of train.py's model.half().float(): the grid-unit buffer rounded to fp16, times the
    /// stride, so that the config and the buffer agree exactly after <see cref="RoundToHalfPrecision"/>.
    /// </summary>
    static float[][] HalfRounded(float[][] anchorsPx, int[] strides) =>
        anchorsPx.Select((row, l) => row.Select(v => (float)(Half)(v / strides[l]) * strides[l]).ToArray()).ToArray();

    /// <summary>train.py --freeze: the listed layers keep their weights (no gradient).</summary>
    void Freeze()
    {
        var prefixes = Options.FreezePrefixes();
        int frozen = 0;
        foreach (var (k, p) in Model.named_parameters())
        {
            bool freeze = prefixes.Any(x => k.StartsWith(x, StringComparison.Ordinal));
            p.requires_grad = !freeze;
            if (freeze) frozen++;
        }
        if (frozen > 0) notes.Add($"freezing {frozen} parameter tensors of {string.Join(", ", prefixes.Select(x => x.TrimEnd('.')))}");
    }

    /// <summary>train.py's three groups (norm weights without decay, weights with decay, biases), the extensions' modules merged in.</summary>
    OptimizerHelper BuildOptimizer(IReadOnlyList<nn.Module> extensionModules)
    {
        var groups = OptimizerFactory.Classify(Model);
        for (int i = 0; i < extensionModules.Count; i++)
            groups = OptimizerFactory.Merge(groups, OptimizerFactory.Classify(extensionModules[i], $"extension{i}"));
        double decay = Options.ScaledWeightDecay(Hyp);
        var optimizer = OptimizerFactory.Create(Options.Optimizer, groups, Hyp.Lr0, Hyp.Momentum, decay);
        notes.Add($"optimizer: {Options.Optimizer}(lr={Hyp.Lr0.ToString(CultureInfo.InvariantCulture)}) with parameter groups " +
                  $"{groups.NormWeights.Count} weight(decay=0.0), {groups.Weights.Count} weight(decay={decay.ToString(CultureInfo.InvariantCulture)}), {groups.Biases.Count} bias");
        return optimizer;
    }

    /// <summary>train.py: model.half().float() "pre-reduce anchor precision" (rounds every float to fp16 once).</summary>
    void RoundToHalfPrecision()
    {
        using var ng = no_grad();
        foreach (var (_, v) in Model.state_dict())
            if (v.is_floating_point()) v.copy_(v.to(ScalarType.Float16).to(ScalarType.Float32));
    }

    public void Dispose()
    {
        Loader.Dispose();
        Validator.Dispose();
        ComputeLoss.Dispose();
        Optimizer.Dispose();
        Ema.Ema.Dispose();
        Model.Dispose();
    }
}
