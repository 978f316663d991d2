using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace YoloDistill.Detector.Data;

/// <summary>
/// YOLO txt labels (one file per image: "class cx cy w h" normalised, or "class x1 y1 x2 y2 ..." polygons, boxed
/// as Ultralytics' segments2boxes does) to a COCO dataset: images copied to <c>out/split/</c>, JSON to
/// <c>out/annotations/instances_split.json</c>; category id = class index + 1. A label is dropped as a fault, as
/// Ultralytics' verify_image_label rejects it, when its line is malformed, its class is not in the names, a value
/// is outside [0, 1], its box has no size, or it repeats an earlier line of the same file; a label file without an
/// image is a fault too.
/// </summary>
public static class YoloToCoco
{
    public static ConvertSummary Convert(string imagesDir, string labelsDir, string namesFile, string outRoot, string split,
        bool strict = false, CancellationToken ct = default)
    {
        var files = DatasetConverter.ListImages(imagesDir);
        if (!Directory.Exists(labelsDir)) throw new DirectoryNotFoundException($"labels folder '{labelsDir}' not found");
        var names = ReadNames(namesFile);
        var faults = new FaultList(strict);
        var stems = files.Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.Ordinal);
        foreach (var orphan in Directory.EnumerateFiles(labelsDir, "*.txt").Order(StringComparer.Ordinal))
            if (!stems.Contains(Path.GetFileNameWithoutExtension(orphan)) && Path.GetFileName(orphan) != "classes.txt")
                faults.Add(orphan, "", LabelFaultKind.MissingImage, $"no image with this name in '{imagesDir}'; its labels are not used");

        using var writer = new CocoSplitWriter(outRoot, split);
        foreach (var f in files)
        {
            ct.ThrowIfCancellationRequested();
            var (w, h) = DatasetConverter.ImageSize(f);
            int imageId = writer.AddImage(f, Path.GetFileName(f), w, h);
            var labelFile = Path.Combine(labelsDir, Path.GetFileNameWithoutExtension(f) + ".txt");
            if (!File.Exists(labelFile)) continue;
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            int lineNo = 0;
            foreach (var line in File.ReadLines(labelFile))
            {
                lineNo++;
                var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 0) continue;
                string where = $"line {lineNo}";
                if (parts.Length < 5 || (parts.Length > 5 && parts.Length % 2 == 0))
                {
                    faults.Add(labelFile, where, LabelFaultKind.Malformed, $"expected 'class cx cy w h' or 'class x1 y1 x2 y2 ...', got '{line.Trim()}'");
                    continue;
                }
                if (!int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int cls))
                {
                    faults.Add(labelFile, where, LabelFaultKind.Malformed, $"class '{parts[0]}' is not a whole number");
                    continue;
                }
                if (cls < 0 || cls >= names.Count)
                {
                    faults.Add(labelFile, where, LabelFaultKind.UnknownClass, $"class {cls} is not an index in 0..{names.Count - 1} ({namesFile})");
                    continue;
                }
                var v = new double[parts.Length - 1];
                int bad = -1;
                for (int k = 0; k < v.Length && bad < 0; k++)
                    if (!double.TryParse(parts[k + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out v[k]) || !double.IsFinite(v[k]))
                        bad = k;
                if (bad >= 0)
                {
                    faults.Add(labelFile, where, LabelFaultKind.Malformed, $"'{parts[bad + 1]}' is not a number");
                    continue;
                }
                if (v.Any(x => x < 0 || x > 1))
                {
                    faults.Add(labelFile, where, LabelFaultKind.OutOfRange, $"'{line.Trim()}' has a value outside [0, 1] (YOLO coordinates are normalised)");
                    continue;
                }
                double x1, y1, x2, y2;
                if (v.Length == 4)
                    (x1, y1, x2, y2) = (v[0] - v[2] / 2, v[1] - v[3] / 2, v[0] + v[2] / 2, v[1] + v[3] / 2);
                else
                {
                    var xs = v.Where((_, k) => k % 2 == 0).ToArray();
                    var ys = v.Where((_, k) => k % 2 == 1).ToArray();
                    (x1, y1, x2, y2) = (xs.Min(), ys.Min(), xs.Max(), ys.Max());
                }
                if (x2 <= x1 || y2 <= y1)
                {
                    faults.Add(labelFile, where, LabelFaultKind.Degenerate, $"zero-size box '{line.Trim()}'");
                    continue;
                }
                var key = string.Join(' ', v.Select(x => x.ToString("R", CultureInfo.InvariantCulture)).Prepend(cls.ToString(CultureInfo.InvariantCulture)));
                if (seen.TryGetValue(key, out int first))
                {
                    faults.Add(labelFile, where, LabelFaultKind.Duplicate, $"repeats line {first}");
                    continue;
                }
                seen[key] = lineNo;
                writer.AddBox(imageId, cls + 1, x1 * w, y1 * h, (x2 - x1) * w, (y2 - y1) * h);
            }
        }
        writer.Commit(names.Select((n, k) => new CocoCategory(k + 1, n, null)), $"converted from YOLO labels in {labelsDir}");
        return new ConvertSummary(writer.ImagesDir, writer.AnnotationsJson, writer.Images, writer.Boxes, writer.ImagesWithoutBoxes, names, faults.Items);
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
