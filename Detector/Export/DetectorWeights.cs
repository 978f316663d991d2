using YoloDistill.Detector.Training;
using YoloDistill.Detector.Weights;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Export;

/// <summary>
/// Weights for export and inference from any file the project produces or accepts: a yolo-distill checkpoint (its EMA
/// detector weights and config, whether or not a checkpoint reader is registered with WeightsFile), or whatever
/// <see cref="WeightsFile.Load"/> reads (.pt, .safetensors).
/// </summary>
public static class DetectorWeights
{
    public static LoadedWeights Load(string path)
    {
        if (!Checkpoint.IsCheckpoint(path)) return WeightsFile.Load(path);
        using var c = Checkpoint.Load(path);
        var sd = new Dictionary<string, Tensor>(c.Ema, StringComparer.Ordinal);
        c.Ema.Clear(); // ownership moves to the returned weights
        return new LoadedWeights { StateDict = sd, Config = c.Config, Source = path, Format = "yolo-distill-ckpt" };
    }
}
