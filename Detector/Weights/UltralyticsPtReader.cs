namespace YoloDistill.Detector.Weights;

/// <summary>Ultralytics YOLOv5 .pt checkpoints (torch.save zip holding a pickled DetectionModel).</summary>
public sealed class UltralyticsPtReader : IWeightsReader
{
    public string Format => "ultralytics-pt";

    public bool CanRead(string path, ReadOnlySpan<byte> head) =>
        PtCheckpoint.LooksLikeTorchFile(head) || Path.GetExtension(path).ToLowerInvariant() is ".pt" or ".pth";

    public LoadedWeights Read(string path)
    {
        var (sd, meta) = PtCheckpoint.Read(path);
        try
        {
            var cfg = ConfigInference.Infer(sd, meta, path);
            return new LoadedWeights { StateDict = sd, Config = cfg, Source = path, Format = Format, Metadata = meta };
        }
        catch
        {
            foreach (var t in sd.Values) t.Dispose();
            throw;
        }
    }
}
