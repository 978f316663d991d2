namespace YoloDistill.Detector.Weights;

/// <summary>
/// One weights file format. <see cref="WeightsFile"/> asks each registered reader in turn; this project's training
/// checkpoint is built in and asked first, and other formats plug in with <see cref="WeightsFile.Register"/>.
/// </summary>
public interface IWeightsReader
{
    /// <summary>Short format name reported in <see cref="LoadedWeights.Format"/>.</summary>
    string Format { get; }

    /// <summary>Claims the file from its extension and first bytes (at most 64); a claimed file that turns out bad must throw, naming it.</summary>
    bool CanRead(string path, ReadOnlySpan<byte> head);

    LoadedWeights Read(string path);
}
