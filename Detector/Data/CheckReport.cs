namespace YoloDistill.Detector.Data;

/// <summary>What <see cref="DatasetChecker"/> found: counts and every problem.</summary>
public sealed class CheckReport
{
    public required string ImagesDir { get; init; }
    public required string AnnotationsPath { get; init; }
    public required IReadOnlyList<DatasetProblem> Problems { get; init; }
    /// <summary>The dataset as read (before excluding bad images); null when the JSON is unusable.</summary>
    public CocoDataset? Dataset { get; init; }
    /// <summary>Image files with a fatal, skippable problem (missing, corrupt, wrong size): what skip-bad leaves out.</summary>
    public required IReadOnlyList<string> BadImages { get; init; }
    public int Images { get; init; }
    public int ImagesWithoutBoxes { get; init; }
    public IReadOnlyList<string> Names { get; init; } = [];
    /// <summary>Training boxes (non-crowd, after clipping) per class index.</summary>
    public IReadOnlyList<int> BoxesPerClass { get; init; } = [];
    public int CrowdBoxes { get; init; }
    public int DroppedBoxes { get; init; }
    /// <summary>COCO size buckets by annotation area (the JSON's <c>area</c>, as COCOeval uses): &lt;32², &lt;96², larger.</summary>
    public int Small { get; init; }
    public int Medium { get; init; }
    public int Large { get; init; }

    public int Boxes => BoxesPerClass.Sum();
    public bool HasFatal => Problems.Any(p => p.Fatal);
    /// <summary>True when leaving out the bad images/annotations would make the dataset usable.</summary>
    public bool UsableWithSkipBad => Dataset is not null && !Problems.Any(p => p.Fatal && !p.Skippable);
}
