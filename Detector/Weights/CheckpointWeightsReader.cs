using YoloDistill.Detector.Model;

namespace YoloDistill.Detector.Weights;

/// <summary>
/// Lets <see cref="WeightsFile.Load"/> read a training checkpoint as weights: the EMA state dict (what was validated)
/// with the checkpoint's model config. One of the built-in formats (<see cref="WeightsReaderRegistry.Builtin"/>).
/// The training state beside them is not read.
/// </summary>
public sealed class CheckpointWeightsReader : IWeightsReader
{
    public string Format => "yolo-distill-ckpt";

    public bool CanRead(string path, ReadOnlySpan<byte> head) => CheckpointFile.HasMagic(head);

    public LoadedWeights Read(string path)
    {
        using var contents = CheckpointFile.Read(path);
        ModelConfig config;
        try { config = CheckpointFile.ConfigFromJson(contents.Meta["config"]!.AsObject()); }
        catch (Exception e) when (CheckpointFile.IsHeaderError(e)) { throw CheckpointFile.MalformedHeader(path, e); }
        return new LoadedWeights { StateDict = contents.Take("ema"), Config = config, Source = path, Format = Format };
    }
}
