using System.Text.Json;
using YoloDistill.Detector.Common;

namespace YoloDistill.Detector.Data;

/// <summary>
/// Builds one COCO split (<c>root/split/</c> images and <c>root/annotations/instances_split.json</c>) in a staging
/// folder beside it and moves it into place only on <see cref="Commit"/>, so that a conversion that fails or is
/// interrupted leaves no partial split behind and an earlier split of the same name untouched. Disposing without a
/// commit deletes the staging folder.
/// </summary>
public sealed class CocoSplitWriter : IDisposable
{
    readonly string _root, _split, _stage, _stageImages;
    readonly List<object> _images = [];
    readonly HashSet<int> _imagesWithBoxes = [];
    readonly List<object> _annotations = [];
    readonly HashSet<string> _names = new(StringComparer.Ordinal);
    bool _committed;

    public CocoSplitWriter(string root, string split)
    {
        if (split.Length == 0 || split.IndexOfAny(['/', '\\']) >= 0 || split is "." or ".." or "annotations")
            throw new ArgumentException($"split name '{split}' must be a plain folder name other than 'annotations'");
        _root = Directory.CreateDirectory(root).FullName;
        _split = split;
        _stage = Path.Combine(_root, $".{split}.converting-{Environment.ProcessId}");
        if (Directory.Exists(_stage)) Directory.Delete(_stage, recursive: true);
        _stageImages = Directory.CreateDirectory(Path.Combine(_stage, split)).FullName;
    }

    public string ImagesDir => Path.Combine(_root, _split);
    public string AnnotationsJson => Path.Combine(_root, "annotations", $"instances_{_split}.json");
    public int Images => _images.Count;
    public int Boxes => _annotations.Count;
    /// <summary>Images with no box at all (backgrounds, in Ultralytics' word): no label file, an empty one, or every label dropped.</summary>
    public int ImagesWithoutBoxes => _images.Count - _imagesWithBoxes.Count;

    /// <summary>Copies an image into the split under <paramref name="fileName"/>; returns its image id.</summary>
    public int AddImage(string source, string fileName, int width, int height)
    {
        if (!_names.Add(fileName))
            throw new InvalidDataException($"two images would both be named '{fileName}' in split '{_split}' (the second is '{source}')");
        File.Copy(source, Path.Combine(_stageImages, fileName));
        _images.Add(new { id = _images.Count + 1, file_name = fileName, width, height });
        return _images.Count;
    }

    public void AddBox(int imageId, long categoryId, double x, double y, double w, double h, bool crowd = false)
    {
        _annotations.Add(new { id = _annotations.Count + 1, image_id = imageId, category_id = categoryId, bbox = new[] { x, y, w, h }, area = w * h, iscrowd = crowd ? 1 : 0 });
        if (!crowd) _imagesWithBoxes.Add(imageId);
    }

    /// <summary>Writes the JSON and moves the split into place, replacing an earlier split of the same name.</summary>
    public void Commit(IEnumerable<CocoCategory> categories, string description)
    {
        var doc = new
        {
            info = new { description },
            images = _images,
            annotations = _annotations,
            categories = categories.Select(c => c.Supercategory is null
                ? (object)new { id = c.Id, name = c.Name }
                : new { id = c.Id, name = c.Name, supercategory = c.Supercategory }).ToArray(),
        };
        var stagedJson = Path.Combine(_stage, $"instances_{_split}.json");
        AtomicFile.WriteAllText(stagedJson, JsonSerializer.Serialize(doc));
        Directory.CreateDirectory(Path.Combine(_root, "annotations"));
        // The old images go aside first and are deleted last: until the JSON is renamed into place, a reader sees
        // the old split (or, between the two renames, the new images beside the old JSON, which names old files).
        string? old = null;
        if (Directory.Exists(ImagesDir))
        {
            old = Path.Combine(_root, $".{_split}.replaced-{Environment.ProcessId}");
            if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
            Directory.Move(ImagesDir, old);
        }
        Directory.Move(_stageImages, ImagesDir);
        File.Move(stagedJson, AnnotationsJson, overwrite: true);
        _committed = true;
        Directory.Delete(_stage, recursive: true);
        if (old is not null) Directory.Delete(old, recursive: true);
    }

    public void Dispose()
    {
        if (!_committed && Directory.Exists(_stage)) Directory.Delete(_stage, recursive: true);
    }
}
