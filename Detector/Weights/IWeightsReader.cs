namespace YoloDistill.Detector.Weights;

/// <summary>
/// One weights file format. <see cref="WeightsFile"/> asks each registered reader in turn; formats of this project
/// (the training checkpoint) register themselves with <see cref="WeightsFile.Register"/> and are asked first.
/// </summary>
public interface IWeightsReader
{
    /// <summary>Short format name reported in <see cref="LoadedWeights.Format"/>.</summary>
    string Format { get; }

    /// <summary>Claims the file from its extension and first bytes (at most 64); a claimed file that turns out bad must throw, naming it.</summary>
    bool CanRead(string path, ReadOnlySpan<byte> head);

    LoadedWeights Read(string path);
}
