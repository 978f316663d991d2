namespace YoloDistill.Detector.Data;

/// <summary>
/// A COCO category as the JSON gives it. Id is 64-bit, as the reader and pycocotools take it, so evaluation keeps
/// every id a file can hold; the training classes map ids through <see cref="CocoDataset.CategoryIdToClass"/>.
/// </summary>
public sealed record CocoCategory(long Id, string Name, string? Supercategory);

/// <summary>
/// A COCO annotation as the JSON gives it (bbox x, y, w, h in pixels, unclipped), kept for evaluation:
/// crowd boxes and the mask <c>area</c> matter to COCOeval even though they are not training targets.
/// </summary>
public sealed record CocoAnnotation(long Id, long ImageId, int CategoryId, double X, double Y, double Width, double Height,
    double Area, bool IsCrowd);

/// <summary>A box label in pixels of the original image (x1, y1, x2, y2), class = contiguous index.</summary>
public readonly record struct BoxLabel(int Class, float X1, float Y1, float X2, float Y2)
{
    public float Width => X2 - X1;
    public float Height => Y2 - Y1;
}

/// <summary>
/// One image of a dataset: where it is, its size as the JSON states it, its training boxes (clipped,
/// non-crowd) and its crowd boxes (not trained on, kept for evaluation).
/// </summary>
public sealed record DatasetImage(long Id, string FileName, string Path, int Width, int Height, BoxLabel[] Labels, BoxLabel[] Crowd);
