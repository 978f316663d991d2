using System.Globalization;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YoloDistill.Detector.Common;

namespace YoloDistill.Detector.Data;

/// <summary>What <see cref="YoloToCoco.Convert"/> wrote.</summary>
public sealed record ConvertSummary(string ImagesDir, string AnnotationsJson, int Images, int Boxes, int ImagesWithoutLabels, IReadOnlyList<string> Names);

/// <summary>
/// YOLO txt labels (one file per image: "class cx cy w h" normalised, or "class x1 y1 x2 y2 ..." polygons, boxed
/// as Ultralytics' segments2boxes does) to a COCO dataset: images copied to <c>out/split/</c>, JSON to
/// <c>out/annotations/instances_split.json</c>; category id = class index + 1.
/// </summary>
public static class YoloToCoco
{
    static readonly string[] ImageExtensions = [".bmp", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp"];

    public static ConvertSummary Convert(string imagesDir, string labelsDir, string namesFile, string outRoot, string split)
    {
        if (!Directory.Exists(imagesDir)) throw new DirectoryNotFoundException($"images folder '{imagesDir}' not found");
        if (!Directory.Exists(labelsDir)) throw new DirectoryNotFoundException($"labels folder '{labelsDir}' not found");
        var names = ReadNames(namesFile);
        var files = Directory.EnumerateFiles(imagesDir)
            .Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new InvalidDataException($"no images ({string.Join(", ", ImageExtensions)}) in '{imagesDir}'");
        var outImages = Directory.CreateDirectory(Path.Combine(outRoot, split)).FullName;
        Directory.CreateDirectory(Path.Combine(outRoot, "annotations"));
        var json = Path.Combine(outRoot, "annotations", $"instances_{split}.json");

        var images = new List<object>();
        var anns = new List<object>();
        int unlabelled = 0;
        for (int i = 0; i < files.Length; i++)
        {
            var f = files[i];
            var size = ImageHeader.TryReadSize(f) ?? ReadSizeByDecoding(f);
            var (w, h) = size;
            var name = Path.GetFileName(f);
            File.Copy(f, Path.Combine(outImages, name), overwrite: true);
            images.Add(new { id = i + 1, file_name = name, width = w, height = h });
            var labelFile = Path.Combine(labelsDir, Path.GetFileNameWithoutExtension(f) + ".txt");
            if (!File.Exists(labelFile))
            {
                unlabelled++;
                continue;
            }
            int lineNo = 0;
            foreach (var line in File.ReadLines(labelFile))
            {
                lineNo++;
                var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 0) continue;
                string where = $"{labelFile}:{lineNo}";
                if (parts.Length < 5 || (parts.Length > 5 && parts.Length % 2 == 0))
                    throw new InvalidDataException($"{where}: expected 'class cx cy w h' or 'class x1 y1 x2 y2 ...', got '{line.Trim()}'");
                if (!int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int cls) || cls < 0 || cls >= names.Count)
                    throw new InvalidDataException($"{where}: class '{parts[0]}' is not an index in 0..{names.Count - 1} ({namesFile})");
                var v = new double[parts.Length - 1];
                for (int k = 0; k < v.Length; k++)
                    if (!double.TryParse(parts[k + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out v[k]) || !double.IsFinite(v[k]))
                        throw new InvalidDataException($"{where}: '{parts[k + 1]}' is not a number");
                double x1, y1, x2, y2;
                if (v.Length == 4)
                {
                    if (v[2] <= 0 || v[3] <= 0) throw new InvalidDataException($"{where}: non-positive box size");
                    (x1, y1, x2, y2) = (v[0] - v[2] / 2, v[1] - v[3] / 2, v[0] + v[2] / 2, v[1] + v[3] / 2);
                }
                else
                {
                    var xs = v.Where((_, k) => k % 2 == 0).ToArray();
                    var ys = v.Where((_, k) => k % 2 == 1).ToArray();
                    (x1, y1, x2, y2) = (xs.Min(), ys.Min(), xs.Max(), ys.Max());
                }
                double bx = x1 * w, by = y1 * h, bw = (x2 - x1) * w, bh = (y2 - y1) * h;
                anns.Add(new { id = anns.Count + 1, image_id = i + 1, category_id = cls + 1, bbox = new[] { bx, by, bw, bh }, area = bw * bh, iscrowd = 0 });
            }
        }
        var doc = new
        {
            info = new { description = $"converted from YOLO labels in {labelsDir}" },
            images,
            annotations = anns,
            categories = names.Select((n, k) => new { id = k + 1, name = n }).ToArray(),
        };
        AtomicFile.WriteAllText(json, JsonSerializer.Serialize(doc));
        return new ConvertSummary(outImages, json, files.Length, anns.Count, unlabelled, names);
    }

    static (int, int) ReadSizeByDecoding(string f)
    {
        using var m = ImageLoading.Read(f);
        return (m.Width, m.Height);
    }

    /// <summary>
    /// Class names from a text file (one per line) or a YOLO data yaml's <c>names</c>: a flow list
    /// <c>[a, b]</c>, a block list (<c>- a</c>), or a mapping (<c>0: a</c>).
    /// </summary>
    public static IReadOnlyList<string> ReadNames(string file)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"names file '{file}' not found", file);
        var ext = Path.GetExtension(file).ToLowerInvariant();
        List<string> names;
        if (ext is ".yaml" or ".yml") names = NamesFromYaml(file);
        else names = File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        if (names.Count == 0) throw new InvalidDataException($"{file}: no class names found");
        return names;
    }

    static List<string> NamesFromYaml(string file)
    {
        var yaml = new YamlStream();
        try
        {
            using var reader = File.OpenText(file);
            yaml.Load(reader);
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"{file}:{e.Start.Line}: {e.Message}", e);
        }
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root
            || !root.Children.TryGetValue(new YamlScalarNode("names"), out var node))
            throw new InvalidDataException($"{file}: no top-level 'names:' entry");
        switch (node)
        {
            case YamlSequenceNode list:
                return list.Children.Select(n => Name(file, n)).Where(n => n.Length > 0).ToList();
            case YamlMappingNode map:
                var byIndex = new SortedDictionary<int, string>();
                foreach (var (key, value) in map.Children)
                {
                    if (key is not YamlScalarNode { Value: { } k } || !int.TryParse(k, NumberStyles.Integer, CultureInfo.InvariantCulture, out int idx))
                        throw new InvalidDataException($"{file}:{key.Start.Line}: expected '- name' or 'index: name' under names:");
                    byIndex[idx] = Name(file, value);
                }
                if (!byIndex.Keys.SequenceEqual(Enumerable.Range(0, byIndex.Count)))
                    throw new InvalidDataException($"{file}: names indices must run 0..{byIndex.Count - 1}");
                return byIndex.Values.ToList();
            default:
                return []; // "names:" with nothing after it
        }
    }

    static string Name(string file, YamlNode n) => n is YamlScalarNode { Value: { } v }
        ? v.Trim()
        : throw new InvalidDataException($"{file}:{n.Start.Line}: a class name must be a plain value");
}
