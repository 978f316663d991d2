namespace YoloDistill.Detector.Data;

/// <summary>
/// One thing wrong with a dataset. <paramref name="Fatal"/> problems stop training unless they are
/// <paramref name="Skippable"/>: then loading with skip-bad drops the offending image or annotation instead.
/// </summary>
/// <param name="File">The file at fault: the image, or the annotations JSON.</param>
/// <param name="Message">What is wrong, in words a user can act on.</param>
/// <param name="Fatal">True when training on the dataset as it is would be wrong or crash.</param>
/// <param name="Skippable">True when the problem concerns one image or annotation that skip-bad can leave out.</param>
public sealed record DatasetProblem(string File, string Message, bool Fatal, bool Skippable = false)
{
    public override string ToString() => $"{File}: {Message}";
}
