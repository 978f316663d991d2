using YoloDistill.Detector.Common;
using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Training;

/// <summary>
/// Everything a training run needs to continue exactly where it stopped, and everything a user needs to use the
/// trained detector (EMA weights, class names, model config). Tensors are CPU float32 copies owned by this object.
/// </summary>
public sealed class CheckpointData : IDisposable
{
    public required ModelConfig Config { get; init; }
    /// <summary>EMA state dict (Ultralytics keys): the weights that were validated, used for inference and export.</summary>
    public required Dictionary<string, Tensor> Ema { get; init; }
    /// <summary>The raw (non-averaged) model state dict, needed to resume exactly; absent in stripped checkpoints.</summary>
    public Dictionary<string, Tensor>? Model { get; init; }
    public OptimizerSnapshot? Optimizer { get; init; }
    /// <summary>Last completed epoch (0-based, Ultralytics' ckpt['epoch']); -1 before any epoch finished.</summary>
    public int Epoch { get; init; } = -1;
    public double BestFitness { get; init; }
    /// <summary>Best fitness epoch as EarlyStopping tracks it, so patience survives resume.</summary>
    public int BestEpoch { get; init; }
    public long EmaUpdates { get; init; }
    /// <summary>Iteration index of the last optimizer step (train.py's last_opt_step), so accumulation resumes in phase.</summary>
    public long LastOptStep { get; init; } = -1;
    public Hyp Hyp { get; init; } = new();
    public TrainOptions? Options { get; init; }
    /// <summary>Base seed; data order, augmentation and multi-scale sizes derive from (seed, epoch, index), so this is the whole RNG state.</summary>
    public int Seed { get; init; }
    /// <summary>Extra named tensor groups saved beside the detector (e.g. distillation adapters), each a state dict.</summary>
    public Dictionary<string, Dictionary<string, Tensor>> Extras { get; init; } = new(StringComparer.Ordinal);
    /// <summary>Free-form string metadata (extension settings, provenance).</summary>
    public Dictionary<string, string> Metadata { get; init; } = new(StringComparer.Ordinal);
    public string Date { get; init; } = DateTime.UtcNow.ToString("O");

    public void Dispose()
    {
        foreach (var t in Ema.Values) t.Dispose();
        if (Model is not null) foreach (var t in Model.Values) t.Dispose();
        Optimizer?.Dispose();
        foreach (var g in Extras.Values) foreach (var t in g.Values) t.Dispose();
    }

    /// <summary>CPU float copies of a module's state dict, safe to keep after the module changes.</summary>
    public static Dictionary<string, Tensor> Snapshot(nn.Module module)
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var ng = no_grad();
        foreach (var (k, v) in module.state_dict()) d[k] = v.detach().cpu().clone().DetachFromDisposeScope();
        return d;
    }
}
