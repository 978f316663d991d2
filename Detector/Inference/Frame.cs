using OpenCvSharp;

namespace YoloDistill.Detector.Inference;

/// <summary>One BGR image from a source: the file (or "camera N") it came from and its frame index (0 for images).</summary>
public sealed record Frame(string Source, SourceKind Kind, int Index, Mat Image) : IDisposable
{
    public void Dispose() => Image.Dispose();
}
