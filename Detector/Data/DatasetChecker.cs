using OpenCvSharp;

namespace YoloDistill.Detector.Data;

/// <summary>
/// Validates a COCO dataset before training so that nothing fails mid-epoch: the JSON's structure and
/// references, and every image file (exists, readable header, size equal to the JSON, JPEG complete, decodes).
/// </summary>
public static class DatasetChecker
{
    /// <summary>
    /// <c>Check(root, split)</c> or <c>Check(imagesDir, annotationsJson)</c>, as <see cref="CocoDataset.Load"/>.
    /// <c>decode</c>: fully decode every image (slower on big sets; catches corrupt data the header checks miss).
    /// </summary>
    public static CheckReport Check(string rootOrImagesDir, string splitOrAnnotationsJson, bool decode = true)
    {
        var (imagesDir, annotationsJson) = CocoDataset.Resolve(rootOrImagesDir, splitOrAnnotationsJson);
        var problems = new List<DatasetProblem>();
        var ds = CocoDataset.Build(imagesDir, annotationsJson, problems);
        if (ds is null)
            return new CheckReport { ImagesDir = imagesDir, AnnotationsPath = annotationsJson, Problems = problems, BadImages = [] };

        var perImage = new List<DatasetProblem>?[ds.Images.Count];
        Parallel.For(0, ds.Images.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount) },
            i => perImage[i] = CheckImage(ds.Images[i], decode));
        var bad = new List<string>();
        foreach (var list in perImage)
        {
            if (list is null) continue;
            problems.AddRange(list);
            if (list.Any(p => p.Fatal)) bad.Add(list[0].File);
        }

        var perClass = new int[ds.NumClasses];
        foreach (var im in ds.Images)
            foreach (var b in im.Labels) perClass[b.Class]++;
        var validIds = ds.Images.Select(im => im.Id).ToHashSet();
        int small = 0, medium = 0, large = 0;
        foreach (var a in ds.Annotations)
        {
            if (a.IsCrowd || !validIds.Contains(a.ImageId)) continue;
            if (a.Area < 32 * 32) small++;
            else if (a.Area < 96 * 96) medium++;
            else large++;
        }
        if (ds.DroppedBoxes > 0)
            problems.Add(new DatasetProblem(annotationsJson, $"{ds.DroppedBoxes} box(es) under 1 px after clipping to the image (or non-positive) are not used as targets", Fatal: false));

        return new CheckReport
        {
            ImagesDir = imagesDir, AnnotationsPath = annotationsJson, Problems = problems, Dataset = ds, BadImages = bad,
            Images = ds.Count, ImagesWithoutBoxes = ds.Images.Count(im => im.Labels.Length == 0),
            Names = ds.Names, BoxesPerClass = perClass, CrowdBoxes = ds.Images.Sum(im => im.Crowd.Length),
            DroppedBoxes = ds.DroppedBoxes, Small = small, Medium = medium, Large = large,
        };
    }

    static List<DatasetProblem>? CheckImage(DatasetImage im, bool decode)
    {
        var path = im.Path;
        DatasetProblem Bad(string msg) => new(path, msg, Fatal: true, Skippable: true);
        if (!File.Exists(path)) return [Bad($"image file not found (image id {im.Id})")];
        try
        {
            var size = ImageHeader.TryReadSize(path);
            bool jpeg = ImageHeader.IsJpeg(path);
            if (jpeg && size is null) return [Bad("unreadable JPEG header (no frame size found)")];
            if (jpeg && !ImageHeader.JpegHasEndMarker(path)) return [Bad("corrupt or truncated JPEG (no end-of-image marker FF D9)")];
            if (size is null || decode)
            {
                // decoded as the loader decodes it (EXIF orientation applied, like cv2.imread)
                using var mat = Cv2.ImRead(path, ImreadModes.Color);
                if (mat.Empty()) return [Bad("cannot be decoded as an image (corrupt or unsupported format)")];
                if (size is { } header && (header.Width != mat.Width || header.Height != mat.Height))
                    return [Bad($"decodes as {mat.Width}x{mat.Height} but is stored as {header.Width}x{header.Height} (EXIF orientation); boxes would not match the pixels")];
                size ??= (mat.Width, mat.Height);
            }
            var (w, h) = size.Value;
            if (w != im.Width || h != im.Height)
                return [Bad($"size in the JSON ({im.Width}x{im.Height}) does not match the file ({w}x{h})")];
        }
        catch (IOException e)
        {
            return [Bad($"cannot be read: {e.Message}")];
        }
        catch (UnauthorizedAccessException e)
        {
            return [Bad($"cannot be read: {e.Message}")];
        }
        return null;
    }
}
