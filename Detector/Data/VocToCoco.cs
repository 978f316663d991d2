using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace YoloDistill.Detector.Data;

/// <summary>
/// Pascal VOC XML (one file per image, as LabelImg, CVAT and Roboflow export it) to a COCO split. Boxes convert as
/// Ultralytics' VOC.yaml does (1-based VOC pixels: x = xmin − 1, w = xmax − xmin), objects marked difficult are
/// skipped as it skips them (counted in <see cref="ConvertSummary.Difficult"/>), and the image is found by the XML's
/// <c>filename</c> or, failing that, by the XML's own name. Images without an XML file are kept as negatives.
/// Class order: the names file when given, otherwise every name in the XML files, sorted.
/// </summary>
public static class VocToCoco
{
    static readonly string[] BoxFields = ["xmin", "ymin", "xmax", "ymax"];

    sealed record VocObject(int Index, string Name, bool Difficult, double[]? Box);

    sealed record VocFile(string Path, string Image, List<VocObject> Objects);

    public static ConvertSummary Convert(string imagesDir, string xmlDir, string? namesFile, string outRoot, string split,
        bool strict = false, CancellationToken ct = default)
    {
        var files = DatasetConverter.ListImages(imagesDir);
        if (!Directory.Exists(xmlDir)) throw new DirectoryNotFoundException($"VOC annotations folder '{xmlDir}' not found");
        var faults = new FaultList(strict);
        var byName = files.ToDictionary(f => Path.GetFileName(f), StringComparer.Ordinal);
        var byStem = files.GroupBy(f => Path.GetFileNameWithoutExtension(f)).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

        var labelled = new Dictionary<string, VocFile>(StringComparer.Ordinal);
        foreach (var xml in Directory.EnumerateFiles(xmlDir, "*.xml").Order(StringComparer.Ordinal))
        {
            ct.ThrowIfCancellationRequested();
            var v = Read(xml, faults);
            if (v is null) continue;
            string? image = byName.GetValueOrDefault(Path.GetFileName(v.Image)) ?? byStem.GetValueOrDefault(Path.GetFileNameWithoutExtension(xml));
            if (image is null)
            {
                faults.Add(xml, "", LabelFaultKind.MissingImage, $"its image '{v.Image}' is not in '{imagesDir}'; its {v.Objects.Count} objects are not used");
                continue;
            }
            if (labelled.TryGetValue(image, out var other))
                throw new InvalidDataException($"{xml}: labels image '{Path.GetFileName(image)}', which {other.Path} labels too");
            labelled[image] = v;
        }

        IReadOnlyList<string> names = namesFile is not null
            ? YoloToCoco.ReadNames(namesFile)
            : labelled.Values.SelectMany(v => v.Objects).Select(o => o.Name).Where(n => n.Length > 0).Distinct().Order(StringComparer.Ordinal).ToArray();
        if (names.Count == 0) throw new InvalidDataException($"no object names in the VOC files of '{xmlDir}'");
        var classOf = names.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal);

        using var writer = new CocoSplitWriter(outRoot, split);
        int difficult = 0;
        foreach (var f in files)
        {
            ct.ThrowIfCancellationRequested();
            var (w, h) = DatasetConverter.ImageSize(f);
            int imageId = writer.AddImage(f, Path.GetFileName(f), w, h);
            if (!labelled.TryGetValue(f, out var v)) continue;
            var seen = new Dictionary<(int, double, double, double, double), int>();
            foreach (var o in v.Objects)
            {
                string where = $"object {o.Index}" + (o.Name.Length > 0 ? $" '{o.Name}'" : "");
                if (o.Box is null)
                {
                    faults.Add(v.Path, where, LabelFaultKind.Malformed, "no bndbox with numeric xmin, ymin, xmax, ymax");
                    continue;
                }
                if (!classOf.TryGetValue(o.Name, out int cls))
                {
                    faults.Add(v.Path, where, LabelFaultKind.UnknownClass, $"class '{o.Name}' is not in {namesFile ?? "the class list"}");
                    continue;
                }
                if (o.Difficult)
                {
                    difficult++;
                    continue;
                }
                var b = o.Box;
                var c = LabelRules.CheckPixelBox(b[0] - 1, b[1] - 1, b[2] - b[0], b[3] - b[1], w, h);
                if (c.Fault is { } kind)
                {
                    faults.Add(v.Path, where, kind, c.Detail);
                    continue;
                }
                var key = (cls, b[0], b[1], b[2], b[3]);
                if (seen.TryGetValue(key, out int first))
                {
                    faults.Add(v.Path, where, LabelFaultKind.Duplicate, $"repeats object {first}");
                    continue;
                }
                seen[key] = o.Index;
                writer.AddBox(imageId, cls + 1, c.X, c.Y, c.W, c.H);
            }
        }
        writer.Commit(names.Select((n, k) => new CocoCategory(k + 1, n, null)), $"converted from Pascal VOC XML in {xmlDir}");
        return new ConvertSummary(writer.ImagesDir, writer.AnnotationsJson, writer.Images, writer.Boxes, writer.ImagesWithoutBoxes, names, faults.Items, difficult);
    }

    static VocFile? Read(string xml, FaultList faults)
    {
        XDocument doc;
        try
        {
            doc = XDocument.Load(xml);
        }
        catch (XmlException e)
        {
            faults.Add(xml, $"line {e.LineNumber}", LabelFaultKind.Malformed, $"not readable XML ({e.Message}); the file is not used");
            return null;
        }
        var root = doc.Root;
        if (root is null || root.Name.LocalName != "annotation")
        {
            faults.Add(xml, "", LabelFaultKind.Malformed, "not a Pascal VOC file (no <annotation> root); the file is not used");
            return null;
        }
        var objects = root.Elements("object").Select((o, i) =>
        {
            var bb = o.Element("bndbox");
            double[]? box = null;
            if (bb is not null)
            {
                var v = BoxFields.Select(k => Number(bb.Element(k)?.Value)).ToArray();
                if (v.All(x => x.HasValue)) box = v.Select(x => x!.Value).ToArray();
            }
            bool difficult = Number(o.Element("difficult")?.Value) is { } d && d != 0;
            return new VocObject(i + 1, o.Element("name")?.Value.Trim() ?? "", difficult, box);
        }).ToList();
        return new VocFile(xml, root.Element("filename")?.Value.Trim() ?? "", objects);
    }

    static double? Number(string? s) =>
        double.TryParse(s?.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;
}
