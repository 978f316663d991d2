namespace YoloDistill.Detector.Data;

/// <summary>The label formats <see cref="DatasetConverter"/> reads: what labelling tools export.</summary>
public enum LabelFormat
{
    /// <summary>YOLO txt: one file per image, "class cx cy w h" normalised (or a polygon), and a names file or data yaml.</summary>
    Yolo,
    /// <summary>Pascal VOC XML: one file per image (LabelImg, CVAT, Roboflow).</summary>
    Voc,
    /// <summary>COCO JSON from another tool (CVAT, Label Studio, Roboflow), normalised to the layout the trainer reads.</summary>
    Coco,
}

/// <summary>What to convert and where.</summary>
public sealed record ConvertOptions
{
    public required LabelFormat Format { get; init; }
    /// <summary>The folder of images.</summary>
    public required string Images { get; init; }
    /// <summary>YOLO: the folder of .txt files; VOC: the folder of .xml files; COCO: the JSON file.</summary>
    public required string Labels { get; init; }
    /// <summary>Class names (a text file, one per line, or a data yaml with <c>names</c>). Required for YOLO; for VOC
    /// it fixes the class order (default: the names found in the XML files, sorted); unused for COCO.</summary>
    public string? Names { get; init; }
    /// <summary>The output dataset root (COCO layout).</summary>
    public required string Out { get; init; }
    /// <summary>The split name, e.g. train or val.</summary>
    public required string Split { get; init; }
    /// <summary>Make every label fault fatal instead of dropping the label with a warning. Default false.</summary>
    public bool Strict { get; init; }
}

/// <summary>What a conversion wrote, and every label it dropped.</summary>
public sealed record ConvertSummary(string ImagesDir, string AnnotationsJson, int Images, int Boxes, int ImagesWithoutBoxes,
    IReadOnlyList<string> Names, IReadOnlyList<LabelFault> Faults, int Difficult = 0);

/// <summary>
/// Converts a labelled dataset into one COCO split. Faulty labels (malformed, zero-size, out of range, duplicate,
/// unknown class, no image) are dropped and listed in <see cref="ConvertSummary.Faults"/>, the way Ultralytics'
/// label check drops them and trains; with <see cref="ConvertOptions.Strict"/> the first one throws. Nothing is
/// written until the whole split converted: a failure or a cancellation leaves no partial split behind.
/// </summary>
public static class DatasetConverter
{
    internal static readonly string[] ImageExtensions = [".bmp", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp"];

    public static ConvertSummary Convert(ConvertOptions o, CancellationToken ct = default) => o.Format switch
    {
        LabelFormat.Yolo => YoloToCoco.Convert(o.Images, o.Labels, o.Names ?? throw new ArgumentException("YOLO labels need a names file (--names)"), o.Out, o.Split, o.Strict, ct),
        LabelFormat.Voc => VocToCoco.Convert(o.Images, o.Labels, o.Names, o.Out, o.Split, o.Strict, ct),
        LabelFormat.Coco => CocoImport.Convert(o.Images, o.Labels, o.Out, o.Split, o.Strict, ct),
        _ => throw new ArgumentOutOfRangeException(nameof(o), o.Format, "unknown label format"),
    };

    public static LabelFormat ParseFormat(string s) => s.ToLowerInvariant() switch
    {
        "yolo" => LabelFormat.Yolo,
        "voc" => LabelFormat.Voc,
        "coco" => LabelFormat.Coco,
        _ => throw new ArgumentException($"--from '{s}' is not a label format (yolo, voc, coco)"),
    };

    internal static string[] ListImages(string imagesDir)
    {
        if (!Directory.Exists(imagesDir)) throw new DirectoryNotFoundException($"images folder '{imagesDir}' not found");
        var files = Directory.EnumerateFiles(imagesDir)
            .Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new InvalidDataException($"no images ({string.Join(", ", ImageExtensions)}) in '{imagesDir}'");
        return files;
    }

    internal static (int Width, int Height) ImageSize(string f)
    {
        if (ImageHeader.TryReadSize(f) is { } s) return s;
        using var m = ImageLoading.Read(f);
        return (m.Width, m.Height);
    }
}

/// <summary>The faults of one conversion: collected, or thrown at once when strict.</summary>
internal sealed class FaultList(bool strict)
{
    public List<LabelFault> Items { get; } = [];

    public void Add(string file, string where, LabelFaultKind kind, string detail)
    {
        var f = new LabelFault(file, where, kind, detail);
        if (strict) throw new InvalidDataException($"{f} (strict: label faults are fatal; without --strict the label is dropped with a warning)");
        Items.Add(f);
    }
}
