namespace YoloDistill.Detector.Data;

/// <summary>What is wrong with a label that <see cref="DatasetConverter"/> dropped (or, with Strict, refused).</summary>
public enum LabelFaultKind
{
    /// <summary>A line or entry that cannot be read as a box (wrong field count, not a number, no bndbox).</summary>
    Malformed,
    /// <summary>Zero or negative width or height.</summary>
    Degenerate,
    /// <summary>Coordinates outside the image (YOLO: a value outside [0, 1]; pixel formats: more than 1 px outside).</summary>
    OutOfRange,
    /// <summary>The same class and box as an earlier label of the same image.</summary>
    Duplicate,
    /// <summary>A class index or name, or a category id, that the class list does not have.</summary>
    UnknownClass,
    /// <summary>A label file or an annotation entry whose image is not in the images folder.</summary>
    MissingImage,
}

/// <summary>One dropped label: the file it came from, where in it (line, object or annotation), the kind and a detail.</summary>
public sealed record LabelFault(string File, string Where, LabelFaultKind Kind, string Detail)
{
    public override string ToString() => Where.Length == 0 ? $"{File}: {Detail}" : $"{File} ({Where}): {Detail}";
}
