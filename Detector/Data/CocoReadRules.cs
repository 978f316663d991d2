namespace YoloDistill.Detector.Data;

/// <summary>
/// What a caller of <see cref="CocoJsonReader"/> needs from a COCO instances file. The dataset loader and the
/// evaluator differ on purpose: the loader opens images and names classes, so it needs more of each entry; the
/// evaluator follows pycocotools, which reads only ids, boxes, areas and crowd flags, and reaches annotations only
/// through the listed images and categories.
/// </summary>
public sealed record CocoReadRules
{
    /// <summary>Images must name a file and a positive width and height.</summary>
    public bool ImagesNeedFiles { get; init; }
    /// <summary>Categories must have a string name; otherwise their id stands in.</summary>
    public bool CategoriesNeedNames { get; init; }
    /// <summary>Annotations must have an integer 'id'; otherwise 0 stands in.</summary>
    public bool AnnotationIdRequired { get; init; }
    /// <summary>Annotations must carry a numeric 'area' (COCOeval's area ranges use it); otherwise width x height stands in.</summary>
    public bool AreaRequired { get; init; }
    /// <summary>Annotations of images or categories that are not listed are left out unchecked, as pycocotools never reaches them.</summary>
    public bool IgnoreUnlisted { get; init; }

    /// <summary>The training and validation loader (<see cref="CocoDataset"/>, <see cref="DatasetChecker"/>).</summary>
    public static CocoReadRules Loader { get; } = new() { ImagesNeedFiles = true, CategoriesNeedNames = true, AnnotationIdRequired = true };

    /// <summary>The COCO evaluator (pycocotools' COCO class).</summary>
    public static CocoReadRules Evaluator { get; } = new() { AreaRequired = true, IgnoreUnlisted = true };
}
