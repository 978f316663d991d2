using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Model;

/// <summary>
/// The YOLOv5 (v6/v7) detector built from <see cref="Architecture"/> at a scale; submodules live in `model`
/// (a ModuleList) so the state-dict keys are Ultralytics' (`model.0.conv.weight` ... `model.24.m.2.bias`).
/// </summary>
public sealed class YoloModel : nn.Module<Tensor, YoloOutput>
{
#pragma warning disable IDE1006
    readonly ModuleList<nn.Module> model;
#pragma warning restore IDE1006
    readonly nn.Module[] layers;
    readonly int[][] from;
    readonly bool[] keep;

    /// <summary>Layers whose outputs feed Detect: the P3, P4, P5 neck outputs.</summary>
    public static readonly int[] FeatureLayers = [.. Architecture.FeatureLayers];

    /// <summary>The model's definition; <see cref="SetAnchors"/> replaces its anchors.</summary>
    public ModelConfig Config { get; private set; }
    public Detect Head { get; }
    /// <summary>Output channels of each layer (Detect excluded).</summary>
    public IReadOnlyList<long> Channels { get; }
    public IReadOnlyList<nn.Module> Layers => layers;
    public bool IsFused { get; private set; }

    public YoloModel(ModelConfig cfg) : base("DetectionModel")
    {
        Config = cfg;
        var rows = Architecture.AtScale(cfg);
        layers = new nn.Module[rows.Count];
        from = new int[rows.Count][];
        keep = new bool[rows.Count];
        Detect? head = null;
        foreach (var l in rows)
        {
            var s = l.Spec;
            from[l.Index] = l.From;
            foreach (var f in s.From) if (f >= 0) keep[f] = true;
            long c1 = l.InChannels[0], c2 = l.OutChannels;
            layers[l.Index] = l.Kind switch
            {
                LayerKind.Conv => new Conv(c1, c2, s.Kernel, s.Stride, s.ExplicitPadding),
                LayerKind.C3 => new C3(c1, c2, l.Repeats, s.Shortcut),
                LayerKind.SPPF => new SPPF(c1, c2, s.Kernel),
                LayerKind.Upsample => new Upsample(s.Scale),
                LayerKind.Concat => new Concat(1),
                LayerKind.Detect => head = new Detect(cfg.Nc, cfg.AnchorsPx, cfg.Strides, l.InChannels),
                _ => throw new InvalidOperationException($"Layer {l.Index}: YoloModel has no module for {l.Kind}."),
            };
        }
        Head = head ?? throw new InvalidOperationException("The architecture has no Detect row.");
        Channels = Architecture.Channels(cfg);
        model = new ModuleList<nn.Module>(layers);
        // Registered by hand: RegisterComponents would also pick up the Head property's backing field.
        register_module("model", model);
    }

    /// <summary>
    /// Replaces the anchors (pixels, one row per level in stride order, as <see cref="ModelConfig.AnchorsPx"/>): Detect's
    /// `anchors` buffer becomes pixels / stride (grid units, as Ultralytics' model.24.anchors) and <see cref="Config"/>
    /// records them, so the loss, checkpoints, export and decoding all use them (AutoAnchor's new anchors).
    /// </summary>
    public void SetAnchors(float[][] anchorsPx)
    {
        var head = Head;
        if (anchorsPx.Length != head.Nl || anchorsPx.Any(r => r.Length != 2 * head.Na))
            throw new ArgumentException($"SetAnchors: expected {head.Nl} levels of {head.Na} anchors (w,h), got {anchorsPx.Length} rows of {string.Join("/", anchorsPx.Select(r => r.Length))} values.");
        var rows = anchorsPx.Select(r => (float[])r.Clone()).ToArray();
        using (torch.no_grad())
        {
            var buffer = head.Anchors;
            using var px = torch.tensor(rows.SelectMany(r => r).ToArray()).view(head.Nl, head.Na, 2);
            using var st = torch.tensor(head.Stride).view(-1, 1, 1);
            using var grid = px / st;
            buffer.copy_(grid);
        }
        Config = Config with { AnchorsPx = rows };
    }

    /// <summary>Training mode: raw head outputs and features; eval mode also decodes boxes.</summary>
    public override YoloOutput forward(Tensor x) => Run(x, decode: !training);

    /// <summary>
    /// The forward pass with decoding chosen by the caller: a frozen teacher needs only raw outputs and features,
    /// in eval mode, and decoding them would be wasted work.
    /// </summary>
    public YoloOutput Run(Tensor x, bool decode)
    {
        using var scope = NewDisposeScope();
        int nLayers = layers.Length;
        var outputs = new Tensor?[nLayers];
        Tensor cur = x;
        Tensor[]? raw = null;
        for (int i = 0; i < nLayers; i++)
        {
            var layer = layers[i];
            var prevIdx = i - 1;
            switch (layer)
            {
                case Concat cat:
                    cur = cat.forward(from[i].Select(f => f == i - 1 ? cur : outputs[f]!).ToArray());
                    break;
                case Detect det:
                    raw = det.forward(from[i].Select(f => outputs[f]!).ToArray());
                    break;
                case nn.Module<Tensor, Tensor> single:
                    var next = single.forward(cur);
                    // Free the previous output right away unless a later layer reads it (or it is the caller's input).
                    if (i > 0 && !keep[prevIdx]) cur.Dispose();
                    cur = next;
                    break;
            }
            if (raw is null && keep[i]) outputs[i] = cur;
        }
        var features = FeatureLayers.Select(f => outputs[f]!).ToArray();
        Tensor? decoded = decode ? Head.Decode(raw!) : null;
        var result = new YoloOutput { Raw = raw!, Features = features, Decoded = decoded };
        foreach (var t in raw!) scope.MoveToOuter(t);
        foreach (var t in features) scope.MoveToOuter(t);
        if (decoded is not null) scope.MoveToOuter(decoded);
        return result;
    }

    /// <summary>Folds every Conv's BatchNorm into its convolution (Ultralytics model.fuse()) for faster inference.</summary>
    public void Fuse()
    {
        foreach (var (_, mod) in named_modules())
            if (mod is Conv c) c.Fuse();
        IsFused = true;
    }

    /// <summary>
    /// Copies a state dict whose keys and shapes must match this model one to one (Ultralytics keys);
    /// any missing, extra or mis-shaped key is an error naming the key.
    /// </summary>
    public void LoadStateDictStrict(IReadOnlyDictionary<string, Tensor> source, string origin = "state dict")
    {
        var own = state_dict();
        var missing = own.Keys.Where(k => !source.ContainsKey(k)).ToList();
        var extra = source.Keys.Where(k => !own.ContainsKey(k)).ToList();
        if (missing.Count > 0 || extra.Count > 0)
            throw new InvalidDataException($"{origin}: keys do not match {Config.ModelName} (missing: {string.Join(", ", missing.Take(5))}; " +
                                           $"unexpected: {string.Join(", ", extra.Take(5))}).");
        using var _ = no_grad();
        foreach (var (k, t) in own)
        {
            var src = source[k];
            // A 0-d scalar (num_batches_tracked) may arrive as shape [1] from readers that cannot express 0-d tensors.
            bool scalarLike = src.numel() == 1 && t.numel() == 1 && src.dim() <= 1 && t.dim() <= 1;
            if (!src.shape.SequenceEqual(t.shape) && !scalarLike)
                throw new InvalidDataException($"{origin}: '{k}' has shape [{string.Join(",", src.shape)}], the model expects [{string.Join(",", t.shape)}].");
            t.copy_(scalarLike ? src.reshape(t.shape) : src);
        }
    }
}
