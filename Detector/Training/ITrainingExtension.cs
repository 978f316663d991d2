using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Training;

/// <summary>What an extension sees when the trainer has built the student and is about to train.</summary>
public sealed record TrainingContext(YoloModel Model, Device Device, TrainOptions Options, Hyp Hyp, int BatchesPerEpoch);

/// <summary>An extension's loss for one batch.</summary>
/// <param name="Loss">Added to the detection loss before backward (scaled like it, i.e. per batch).</param>
/// <param name="Items">
/// Detached per-image values (scalar tensors) by column name, one for each of <see cref="ITrainingExtension.Columns"/>:
/// the trainer averages them over the epoch into those results.csv columns.
/// </param>
public sealed record ExtensionLoss(Tensor Loss, IReadOnlyDictionary<string, Tensor> Items)
{
    /// <summary>The named parts of <see cref="Loss"/> (same scaling, in the graph), for gradient diagnostics; may be empty.</summary>
    public IReadOnlyList<(string Name, Tensor Loss)> Terms { get; init; } = [];

    /// <summary>Further detached numbers worth recording in diagnostics (e.g. each level's share of a loss).</summary>
    public IReadOnlyList<(string Name, double Value)> Stats { get; init; } = [];
}

/// <summary>
/// A hook for training variants such as distillation: extra trainable modules (optimised in the model's three
/// parameter groups), an extra loss per batch computed from the student's output, extra results.csv columns, and
/// extra tensors saved in and restored from the checkpoint. A trainer takes any number of them; their columns, tensor
/// groups and metadata keys must not clash.
/// </summary>
public interface ITrainingExtension
{
    /// <summary>
    /// The named mean-loss columns this extension adds to results.csv and the progress bar (e.g. "train/imit_loss"),
    /// in the order they are shown; <see cref="ExtensionLoss.Items"/> gives a value for each name.
    /// </summary>
    IReadOnlyList<string> Columns { get; }

    /// <summary>Called once, after the model is built and moved to the device, before the optimizer is created.</summary>
    void Setup(TrainingContext context);

    /// <summary>Modules whose parameters are optimised alongside the model (e.g. adapters); may be empty.</summary>
    IEnumerable<nn.Module> TrainableModules { get; }

    /// <summary>The extra loss for a batch. <paramref name="images"/> is the network input on the device.</summary>
    ExtensionLoss ExtraLoss(DetectionBatch batch, Tensor images, YoloOutput student);

    /// <summary>Called when the trainer switches the student to train mode at the start of each epoch.</summary>
    void OnEpochStart(int epoch);

    /// <summary>Named tensor groups to save in the checkpoint (CPU copies are made by the trainer).</summary>
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, Tensor>> StateToSave();

    /// <summary>Restores what <see cref="StateToSave"/> saved, when resuming.</summary>
    void LoadState(IReadOnlyDictionary<string, Dictionary<string, Tensor>> saved);

    /// <summary>String metadata recorded in the checkpoint (method, weights, teacher).</summary>
    IReadOnlyDictionary<string, string> Metadata { get; }
}
