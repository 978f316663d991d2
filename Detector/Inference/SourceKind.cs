namespace YoloDistill.Detector.Inference;

/// <summary>What a detect source is, decided from its name the way Ultralytics detect.py decides.</summary>
public enum SourceKind { Image, Video, Camera }

public static class MediaFormats
{
    /// <summary>Ultralytics IMG_FORMATS.</summary>
    public static readonly string[] Images = [".bmp", ".dng", ".jpeg", ".jpg", ".mpo", ".png", ".tif", ".tiff", ".webp", ".pfm"];

    /// <summary>Ultralytics VID_FORMATS.</summary>
    public static readonly string[] Videos = [".asf", ".avi", ".gif", ".m4v", ".mkv", ".mov", ".mp4", ".mpeg", ".mpg", ".ts", ".wmv"];

    public static bool IsImage(string path) => Images.Contains(Path.GetExtension(path).ToLowerInvariant());
    public static bool IsVideo(string path) => Videos.Contains(Path.GetExtension(path).ToLowerInvariant());
}
