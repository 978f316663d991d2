using OpenCvSharp;

namespace YoloDistill.Detector.Data;

/// <summary>Ultralytics' load_image: decode (BGR) and resize the long side to the training size.</summary>
public static class ImageLoading
{
    /// <summary>cv2.imread; a clear error naming the file when it is missing or does not decode.</summary>
    public static Mat Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"image file '{path}' not found", path);
        var im = Cv2.ImRead(path, ImreadModes.Color);
        if (im.Empty())
        {
            im.Dispose();
            throw new InvalidDataException($"image file '{path}' cannot be decoded (corrupt or unsupported format); run 'yolo-distill dataset check'");
        }
        return im;
    }

    /// <summary>
    /// Resize so the long side equals <paramref name="imgSize"/>: new size = int(w0*r), int(h0*r) (truncated, as YOLOv5 v7.0's
    /// load_image; later Ultralytics code rounds up, and its predictions on coco128 disagree with v7.0's reference);
    /// INTER_LINEAR when augmenting or enlarging, INTER_AREA when shrinking for evaluation (as Ultralytics does).
    /// Returns the (possibly same-sized) image, which the caller owns.
    /// </summary>
    public static Mat LoadResized(string path, int imgSize, bool augment, out int h0, out int w0)
    {
        var im = Read(path);
        h0 = im.Height;
        w0 = im.Width;
        double r = (double)imgSize / Math.Max(h0, w0);
        if (r == 1) return im;
        var interp = augment || r > 1 ? InterpolationFlags.Linear : InterpolationFlags.Area;
        var resized = new Mat();
        Cv2.Resize(im, resized, new Size((int)(w0 * r), (int)(h0 * r)), 0, 0, interp);
        im.Dispose();
        return resized;
    }
}
