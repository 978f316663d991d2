using System.Globalization;

namespace YoloDistill.Detector.Data;

/// <summary>
/// Every box's normalised width and height with its image's size: what Ultralytics' check_anchors and kmean_anchors
/// read from a dataset (dataset.shapes and the labels' w, h columns), kept apart from any image size so that one
/// dataset can be measured at several training sizes.
/// </summary>
public sealed class LabelSizes
{
    readonly int[] imageW, imageH;
    readonly float[] w, h;

    /// <param name="imageWidths">Width of each box's image in pixels.</param>
    /// <param name="imageHeights">Height of each box's image in pixels.</param>
    /// <param name="widths">Box width divided by its image width (a YOLO label's w).</param>
    /// <param name="heights">Box height divided by its image height (a YOLO label's h).</param>
    public LabelSizes(int[] imageWidths, int[] imageHeights, float[] widths, float[] heights)
    {
        if (imageHeights.Length != imageWidths.Length || widths.Length != imageWidths.Length || heights.Length != imageWidths.Length)
            throw new ArgumentException("LabelSizes: the four columns must have one value per box.");
        imageW = imageWidths;
        imageH = imageHeights;
        w = widths;
        h = heights;
    }

    public int Count => w.Length;

    /// <summary>
    /// Box (w, h) in pixels at a training size whose long side is <paramref name="imgSize"/>, as check_anchors computes
    /// it without its scale jitter: float32(label_wh * (img * shape / shape.max())), the product in float64 as numpy does.
    /// Returns N*2 values, w then h for each box.
    /// </summary>
    public float[] PixelsAt(int imgSize)
    {
        var wh = new float[2 * Count];
        for (int i = 0; i < Count; i++)
        {
            double max = Math.Max(imageW[i], imageH[i]);
            wh[2 * i] = (float)((double)w[i] * (imgSize * (double)imageW[i] / max));
            wh[2 * i + 1] = (float)((double)h[i] * (imgSize * (double)imageH[i] / max));
        }
        return wh;
    }

    /// <summary>
    /// A split of a dataset root: YOLO txt layout (<c>root/split/images</c> + <c>root/split/labels</c>, or
    /// <c>root/images/split</c> + <c>root/labels/split</c>) when present, else COCO layout (<see cref="CocoDataset.Load"/>).
    /// </summary>
    public static LabelSizes Load(string root, string split)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"{root}: dataset root not found.");
        foreach (var (images, labels) in new[] { (Path.Combine(root, split, "images"), Path.Combine(root, split, "labels")),
                                                  (Path.Combine(root, "images", split), Path.Combine(root, "labels", split)) })
            if (Directory.Exists(images) && Directory.Exists(labels)) return FromYoloFolder(images, labels);
        return FromDataset(CocoDataset.Load(root, split));
    }

    /// <summary>The training boxes of a COCO dataset (crowd boxes left out, as the loader leaves them out).</summary>
    public static LabelSizes FromDataset(CocoDataset ds)
    {
        var iw = new List<int>(); var ih = new List<int>(); var bw = new List<float>(); var bh = new List<float>();
        foreach (var img in ds.Images)
            foreach (var b in img.Labels)
            {
                iw.Add(img.Width); ih.Add(img.Height);
                bw.Add((float)(b.Width / (double)img.Width)); bh.Add((float)(b.Height / (double)img.Height));
            }
        return new LabelSizes([.. iw], [.. ih], [.. bw], [.. bh]);
    }

    /// <summary>
    /// A YOLO txt dataset (images/ and labels/ side by side): image sizes from the file headers, box sizes from the
    /// labels ("class cx cy w h", polygons boxed by their extent); a file's repeated rows count once, as Ultralytics'
    /// label check drops them. Images without a label file have no boxes.
    /// </summary>
    public static LabelSizes FromYoloFolder(string imagesDir, string labelsDir)
    {
        if (!Directory.Exists(imagesDir)) throw new DirectoryNotFoundException($"{imagesDir}: images folder not found.");
        if (!Directory.Exists(labelsDir)) throw new DirectoryNotFoundException($"{labelsDir}: labels folder not found.");
        string[] exts = [".bmp", ".jpeg", ".jpg", ".png"];
        var files = Directory.EnumerateFiles(imagesDir).Where(f => exts.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new InvalidDataException($"{imagesDir}: no images ({string.Join(", ", exts)}).");
        var iw = new List<int>(); var ih = new List<int>(); var bw = new List<float>(); var bh = new List<float>();
        foreach (var f in files)
        {
            var label = Path.Combine(labelsDir, Path.GetFileNameWithoutExtension(f) + ".txt");
            if (!File.Exists(label)) continue;
            var (width, height) = ImageHeader.TryReadSize(f) ?? throw new InvalidDataException($"{f}: cannot read the image size from its header.");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            int lineNo = 0;
            foreach (var line in File.ReadLines(label))
            {
                lineNo++;
                var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 0) continue;
                // Parsed as Python's float, then float32 as np.array(lb, dtype=np.float32) does.
                var v = new float[parts.Length - 1];
                if (parts.Length < 5 || (parts.Length > 5 && parts.Length % 2 == 0)
                    || !Enumerable.Range(0, v.Length).All(k => double.TryParse(parts[k + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out double d)
                                                               && double.IsFinite(v[k] = (float)d)))
                    throw new InvalidDataException($"{label}:{lineNo}: expected 'class cx cy w h' (or a polygon) with numbers, got '{line.Trim()}'.");
                if (!seen.Add(string.Join(' ', parts))) continue;
                float nw, nh;
                if (v.Length == 4) (nw, nh) = (v[2], v[3]);
                else
                {
                    var xs = v.Where((_, k) => k % 2 == 0).ToArray();
                    var ys = v.Where((_, k) => k % 2 == 1).ToArray();
                    (nw, nh) = (xs.Max() - xs.Min(), ys.Max() - ys.Min());
                }
                iw.Add(width); ih.Add(height); bw.Add(nw); bh.Add(nh);
            }
        }
        return new LabelSizes([.. iw], [.. ih], [.. bw], [.. bh]);
    }

    /// <summary>Header of the CSV written by <see cref="WriteCsv"/>.</summary>
    public const string CsvHeader = "image_w,image_h,w,h";

    /// <summary>One row per box: image width and height in pixels, normalised w and h ("R" format, read back exactly).</summary>
    public void WriteCsv(string path)
    {
        using var sw = new StreamWriter(path);
        sw.NewLine = "\n";
        sw.WriteLine(CsvHeader);
        for (int i = 0; i < Count; i++)
            sw.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{imageW[i]},{imageH[i]},{w[i]:R},{h[i]:R}"));
    }

    public static LabelSizes ReadCsv(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: label sizes file not found.", path);
        var iw = new List<int>(); var ih = new List<int>(); var bw = new List<float>(); var bh = new List<float>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (lineNo == 1 && line.Trim() == CsvHeader) continue;
            if (line.Length == 0) continue;
            var p = line.Split(',');
            if (p.Length != 4 || !int.TryParse(p[0], CultureInfo.InvariantCulture, out int a) || !int.TryParse(p[1], CultureInfo.InvariantCulture, out int b)
                || !float.TryParse(p[2], NumberStyles.Float, CultureInfo.InvariantCulture, out float c) || !float.TryParse(p[3], NumberStyles.Float, CultureInfo.InvariantCulture, out float d)
                || a <= 0 || b <= 0)
                throw new InvalidDataException($"{path}:{lineNo}: expected '{CsvHeader}' values, got '{line}'.");
            iw.Add(a); ih.Add(b); bw.Add(c); bh.Add(d);
        }
        return new LabelSizes([.. iw], [.. ih], [.. bw], [.. bh]);
    }
}
