using YoloDistill.Detector.Weights;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Training;

/// <summary>
/// Lets <see cref="WeightsFile.Load"/> read a training checkpoint as weights: the EMA state dict (what was validated)
/// with the checkpoint's model config. One of the built-in formats (<see cref="WeightsReaderRegistry.Builtin"/>).
/// </summary>
public sealed class CheckpointWeightsReader : IWeightsReader
{
    public string Format => "yolo-distill-ckpt";

    public static void Register() => WeightsFile.Register(new CheckpointWeightsReader());

    public bool CanRead(string path, ReadOnlySpan<byte> head) => Checkpoint.HasMagic(head);

    public LoadedWeights Read(string path)
    {
        using var c = Checkpoint.Load(path);
        var sd = new Dictionary<string, Tensor>(c.Ema, StringComparer.Ordinal);
        c.Ema.Clear();
        return new LoadedWeights { StateDict = sd, Config = c.Config, Source = path, Format = Format };
    }
}
