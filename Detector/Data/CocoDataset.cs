namespace YoloDistill.Detector.Data;

/// <summary>
/// A COCO-format detection dataset: images with their boxes as training targets.
/// Class index = position of the category in ascending category-id order (what Ultralytics' coco.yaml does
/// for the 80 COCO classes); <see cref="ClassToCategoryId"/> maps predictions back for COCO results files.
/// Crowd boxes are not targets but stay in <see cref="DatasetImage.Crowd"/> and <see cref="Annotations"/> for evaluation.
/// Boxes are clipped to the image; boxes narrower or shorter than 1 px after clipping are dropped and counted.
/// </summary>
public sealed class CocoDataset
{
    public required string ImagesDir { get; init; }
    public required string AnnotationsPath { get; init; }
    public required IReadOnlyList<DatasetImage> Images { get; init; }
    public required IReadOnlyList<string> Names { get; init; }
    public required IReadOnlyList<int> ClassToCategoryId { get; init; }
    public required IReadOnlyDictionary<int, int> CategoryIdToClass { get; init; }
    public required IReadOnlyList<CocoCategory> Categories { get; init; }
    /// <summary>Every annotation as read (crowd included, unclipped), for evaluation against the JSON.</summary>
    public required IReadOnlyList<CocoAnnotation> Annotations { get; init; }
    /// <summary>Boxes under 1 px (after clipping) or with non-positive width/height, left out of the targets.</summary>
    public int DroppedBoxes { get; init; }
    /// <summary>Problems found while reading (and, with skip-bad, by the checker); what they name was left out.</summary>
    public IReadOnlyList<DatasetProblem> Problems { get; init; } = [];
    /// <summary>Image files excluded by skip-bad.</summary>
    public IReadOnlyList<string> ExcludedImages { get; init; } = [];

    public int NumClasses => Names.Count;
    public int Count => Images.Count;

    /// <summary>
    /// Two forms: <c>Load(root, split)</c> for the Ultralytics/COCO layout (images in <c>root/split/</c>, labels in
    /// <c>root/annotations/instances_split.json</c>), and <c>Load(imagesDir, annotationsJson)</c> when the second
    /// argument is a <c>.json</c> file.
    /// Without <paramref name="skipBad"/> any fatal problem throws <see cref="InvalidDataException"/>
    /// naming the file and the problem (image files are not opened: run <see cref="DatasetChecker"/> for that).
    /// With it, the checker runs over every image file too and the bad images or annotations are left out.
    /// </summary>
    public static CocoDataset Load(string rootOrImagesDir, string splitOrAnnotationsJson, bool skipBad = false)
    {
        var (imagesDir, annotationsJson) = Resolve(rootOrImagesDir, splitOrAnnotationsJson);
        return LoadResolved(imagesDir, annotationsJson, skipBad);
    }

    /// <summary>(imagesDir, json) from either (root, split) or (imagesDir, json).</summary>
    public static (string ImagesDir, string AnnotationsJson) Resolve(string rootOrImagesDir, string splitOrAnnotationsJson) =>
        splitOrAnnotationsJson.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
            ? (rootOrImagesDir, splitOrAnnotationsJson)
            : ResolveSplit(rootOrImagesDir, splitOrAnnotationsJson);

    static CocoDataset LoadResolved(string imagesDir, string annotationsJson, bool skipBad)
    {
        if (!Directory.Exists(imagesDir))
            throw new DirectoryNotFoundException($"images folder '{imagesDir}' not found");
        if (skipBad)
        {
            var report = DatasetChecker.Check(imagesDir, annotationsJson);
            if (report.Dataset is null || report.Problems.Any(p => p.Fatal && !p.Skippable))
                throw Failure(report.Problems);
            var bad = report.BadImages.ToHashSet(StringComparer.Ordinal);
            var d = report.Dataset;
            return new CocoDataset
            {
                ImagesDir = d.ImagesDir, AnnotationsPath = d.AnnotationsPath, Names = d.Names, ClassToCategoryId = d.ClassToCategoryId,
                CategoryIdToClass = d.CategoryIdToClass, Categories = d.Categories, DroppedBoxes = d.DroppedBoxes,
                Images = d.Images.Where(im => !bad.Contains(im.Path)).ToArray(),
                Annotations = d.Annotations, Problems = report.Problems, ExcludedImages = report.BadImages,
            };
        }
        var problems = new List<DatasetProblem>();
        var ds = Build(imagesDir, annotationsJson, problems);
        if (ds is null || problems.Any(p => p.Fatal)) throw Failure(problems);
        return ds;
    }

    public static (string ImagesDir, string AnnotationsJson) ResolveSplit(string root, string split)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"dataset root '{root}' not found");
        var json = Path.Combine(root, "annotations", $"instances_{split}.json");
        var images = Path.Combine(root, split);
        if (!Directory.Exists(images) && Directory.Exists(Path.Combine(root, "images", split)))
            images = Path.Combine(root, "images", split);
        if (!File.Exists(json)) throw new FileNotFoundException($"annotations file '{json}' not found (expected <root>/annotations/instances_{split}.json)", json);
        if (!Directory.Exists(images)) throw new DirectoryNotFoundException($"images folder '{images}' not found (expected <root>/{split}/)");
        return (images, json);
    }

    static InvalidDataException Failure(IReadOnlyList<DatasetProblem> problems)
    {
        var fatal = problems.Where(p => p.Fatal).ToList();
        var first = fatal.FirstOrDefault() ?? problems[0];
        string more = fatal.Count > 1 ? $" (and {fatal.Count - 1} more fatal problem(s); run 'yolo-distill dataset check')" : "";
        return new InvalidDataException($"{first.File}: {first.Message}{more}");
    }

    /// <summary>Reads and validates the JSON; problems are appended, offending items left out. Null when unusable.</summary>
    internal static CocoDataset? Build(string imagesDir, string jsonPath, List<DatasetProblem> problems)
    {
        var raw = CocoJsonReader.Read(jsonPath, problems, CocoReadRules.Loader);
        if (raw is null) return null;

        if (raw.Categories.Count == 0) problems.Add(new DatasetProblem(jsonPath, "no usable categories", Fatal: true));
        var cats = new List<CocoCategory>();
        foreach (var g in raw.Categories.GroupBy(c => c.Id).OrderBy(g => g.Key))
        {
            if (g.Count() > 1) problems.Add(new DatasetProblem(jsonPath, $"duplicate category id {g.Key}", Fatal: true));
            var c = g.First();
            cats.Add(new CocoCategory(c.Id, c.Name, c.Supercategory));
        }
        var catToClass = new Dictionary<int, int>();
        for (int i = 0; i < cats.Count; i++) catToClass[(int)cats[i].Id] = i;

        var images = new List<DatasetImage>();
        var byId = new Dictionary<long, int>();
        foreach (var im in raw.Images)
        {
            if (byId.ContainsKey(im.Id))
            {
                problems.Add(new DatasetProblem(jsonPath, $"duplicate image id {im.Id} ('{im.FileName}'); the later entry is ignored", Fatal: true, Skippable: true));
                continue;
            }
            byId[im.Id] = images.Count;
            images.Add(new DatasetImage(im.Id, im.FileName, Path.Combine(imagesDir, im.FileName), im.Width, im.Height, [], []));
        }

        var labels = new List<BoxLabel>[images.Count];
        var crowd = new List<BoxLabel>[images.Count];
        var annIds = new HashSet<long>();
        var kept = new List<CocoAnnotation>(raw.Annotations.Count);
        int dropped = 0;
        foreach (var a in raw.Annotations)
        {
            if (!annIds.Add(a.Id))
                problems.Add(new DatasetProblem(jsonPath, $"duplicate annotation id {a.Id}", Fatal: false));
            if (!byId.TryGetValue(a.ImageId, out int ii))
            {
                problems.Add(new DatasetProblem(jsonPath, $"annotation {a.Id} refers to unknown image id {a.ImageId}", Fatal: true, Skippable: true));
                continue;
            }
            if (!catToClass.TryGetValue(a.CategoryId, out int cls))
            {
                problems.Add(new DatasetProblem(jsonPath, $"annotation {a.Id} refers to unknown category id {a.CategoryId}", Fatal: true, Skippable: true));
                continue;
            }
            kept.Add(a);
            if (a.Width <= 0 || a.Height <= 0)
            {
                problems.Add(new DatasetProblem(jsonPath, $"annotation {a.Id} (image {a.ImageId}) has a non-positive box size {a.Width}x{a.Height}; not used for training", Fatal: false));
                dropped++;
                continue;
            }
            var im = images[ii];
            float x1 = (float)Math.Clamp(a.X, 0, im.Width), y1 = (float)Math.Clamp(a.Y, 0, im.Height);
            float x2 = (float)Math.Clamp(a.X + a.Width, 0, im.Width), y2 = (float)Math.Clamp(a.Y + a.Height, 0, im.Height);
            if (x2 - x1 < 1f || y2 - y1 < 1f)
            {
                dropped++;
                continue;
            }
            var box = new BoxLabel(cls, x1, y1, x2, y2);
            if (a.IsCrowd) (crowd[ii] ??= []).Add(box);
            else (labels[ii] ??= []).Add(box);
        }
        for (int i = 0; i < images.Count; i++)
            images[i] = images[i] with { Labels = labels[i]?.ToArray() ?? [], Crowd = crowd[i]?.ToArray() ?? [] };

        return new CocoDataset
        {
            ImagesDir = imagesDir,
            AnnotationsPath = jsonPath,
            Images = images,
            Names = cats.Select(c => c.Name).ToArray(),
            ClassToCategoryId = cats.Select(c => (int)c.Id).ToArray(),
            CategoryIdToClass = catToClass,
            Categories = cats,
            Annotations = kept,
            DroppedBoxes = dropped,
            Problems = problems.ToArray(),
        };
    }
}
