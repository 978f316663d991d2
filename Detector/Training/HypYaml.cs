using System.Globalization;
using System.Text;

namespace YoloDistill.Detector.Training;

/// <summary>
/// Reads and writes Ultralytics hyp yaml files (data/hyps/hyp.*.yaml): flat <c>key: value  # comment</c> lines.
/// Keys missing from the file keep <see cref="Hyp"/>'s defaults; unknown keys and bad numbers are errors that name
/// the file and line, because a silently ignored typo would train with the wrong recipe.
/// </summary>
public static class HypYaml
{
    static readonly (string Key, Func<Hyp, double> Get, Func<Hyp, double, Hyp> Set)[] Fields =
    [
        ("lr0", h => h.Lr0, (h, v) => h with { Lr0 = v }),
        ("lrf", h => h.Lrf, (h, v) => h with { Lrf = v }),
        ("momentum", h => h.Momentum, (h, v) => h with { Momentum = v }),
        ("weight_decay", h => h.WeightDecay, (h, v) => h with { WeightDecay = v }),
        ("warmup_epochs", h => h.WarmupEpochs, (h, v) => h with { WarmupEpochs = v }),
        ("warmup_momentum", h => h.WarmupMomentum, (h, v) => h with { WarmupMomentum = v }),
        ("warmup_bias_lr", h => h.WarmupBiasLr, (h, v) => h with { WarmupBiasLr = v }),
        ("box", h => h.Box, (h, v) => h with { Box = v }),
        ("cls", h => h.Cls, (h, v) => h with { Cls = v }),
        ("cls_pw", h => h.ClsPw, (h, v) => h with { ClsPw = v }),
        ("obj", h => h.Obj, (h, v) => h with { Obj = v }),
        ("obj_pw", h => h.ObjPw, (h, v) => h with { ObjPw = v }),
        ("iou_t", h => h.IouT, (h, v) => h with { IouT = v }),
        ("anchor_t", h => h.AnchorT, (h, v) => h with { AnchorT = v }),
        ("fl_gamma", h => h.FlGamma, (h, v) => h with { FlGamma = v }),
        ("hsv_h", h => h.HsvH, (h, v) => h with { HsvH = v }),
        ("hsv_s", h => h.HsvS, (h, v) => h with { HsvS = v }),
        ("hsv_v", h => h.HsvV, (h, v) => h with { HsvV = v }),
        ("degrees", h => h.Degrees, (h, v) => h with { Degrees = v }),
        ("translate", h => h.Translate, (h, v) => h with { Translate = v }),
        ("scale", h => h.Scale, (h, v) => h with { Scale = v }),
        ("shear", h => h.Shear, (h, v) => h with { Shear = v }),
        ("perspective", h => h.Perspective, (h, v) => h with { Perspective = v }),
        ("flipud", h => h.FlipUd, (h, v) => h with { FlipUd = v }),
        ("fliplr", h => h.FlipLr, (h, v) => h with { FlipLr = v }),
        ("mosaic", h => h.Mosaic, (h, v) => h with { Mosaic = v }),
        ("mixup", h => h.Mixup, (h, v) => h with { Mixup = v }),
        ("copy_paste", h => h.CopyPaste, (h, v) => h with { CopyPaste = v }),
        ("label_smoothing", h => h.LabelSmoothing, (h, v) => h with { LabelSmoothing = v }),
    ];

    /// <summary>Keys Ultralytics hyp files may carry that this trainer does not use (anchors: AutoAnchor count).</summary>
    static readonly HashSet<string> Tolerated = ["anchors"];

    public static IReadOnlyList<string> Keys { get; } = Fields.Select(f => f.Key).ToArray();

    public static Hyp Load(string path, Hyp? defaults = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: hyperparameter file not found.", path);
        return Parse(File.ReadAllText(path), path, defaults);
    }

    public static Hyp Parse(string text, string sourceName, Hyp? defaults = null)
    {
        var hyp = defaults ?? new Hyp();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var lines = text.Replace("\r\n", "\n").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var line = StripComment(lines[i]).Trim();
            if (line.Length == 0 || line == "---") continue;
            string where = $"{sourceName}:{i + 1}";
            int colon = line.IndexOf(':');
            if (colon <= 0)
                throw new InvalidDataException($"{where}: expected 'key: value', got '{lines[i].Trim()}'.");
            var key = line[..colon].Trim();
            var raw = line[(colon + 1)..].Trim();
            if (Tolerated.Contains(key)) continue;
            var field = Array.Find(Fields, f => f.Key == key);
            if (field.Key is null)
                throw new InvalidDataException($"{where}: unknown hyperparameter '{key}' (known: {string.Join(", ", Keys)}).");
            if (!seen.Add(key)) throw new InvalidDataException($"{where}: hyperparameter '{key}' is given twice.");
            if (!TryParseNumber(raw, out var value))
                throw new InvalidDataException($"{where}: '{key}' must be a number, got '{raw}'.");
            hyp = field.Set(hyp, value);
        }
        return hyp;
    }

    /// <summary>The yaml text Ultralytics writes as hyp.yaml in a run folder (same keys and order).</summary>
    public static string ToYaml(Hyp hyp)
    {
        var sb = new StringBuilder();
        foreach (var (key, get, _) in Fields)
            sb.Append(key).Append(": ").Append(get(hyp).ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        return sb.ToString();
    }

    public static void Save(string path, Hyp hyp) => File.WriteAllText(path, ToYaml(hyp));

    static string StripComment(string line)
    {
        int hash = line.IndexOf('#');
        return hash >= 0 ? line[..hash] : line;
    }

    static bool TryParseNumber(string raw, out double value)
    {
        // yaml 1.1 floats as PyYAML writes them (1e-3 needs no dot here; .inf/.nan are not sensible hyps).
        var s = raw.Trim('"', '\'');
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }
}
