using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Weights;

/// <summary>A YOLOv5 state dict read from a file: tensors under Ultralytics' names plus the model configuration they imply.</summary>
public sealed class LoadedWeights : IDisposable
{
    /// <summary>Float tensors as float32, integer buffers (num_batches_tracked) as int64; keys as Ultralytics names them.</summary>
    public required Dictionary<string, Tensor> StateDict { get; init; }
    public required ModelConfig Config { get; init; }
    /// <summary>The file the weights came from.</summary>
    public required string Source { get; init; }
    /// <summary>The reader that understood the file ("ultralytics-pt", "safetensors", ...).</summary>
    public required string Format { get; init; }
    public WeightsMetadata Metadata { get; init; } = new();

    public void Dispose()
    {
        foreach (var t in StateDict.Values) t.Dispose();
        StateDict.Clear();
    }
}
