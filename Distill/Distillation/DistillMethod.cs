namespace YoloDistill.Distill.Distillation;

/// <summary>Distillation losses that can be combined, e.g. "fgfi+kd".</summary>
[Flags]
public enum DistillMethod
{
    None = 0,
    /// <summary>Fine-grained feature imitation near objects (Wang et al., CVPR 2019).</summary>
    Fgfi = 1,
    /// <summary>Channel-wise distillation of the neck features (Shu et al., ICCV 2021).</summary>
    Cwd = 2,
    /// <summary>Output (objectness and class logit) distillation weighted by the teacher's objectness.</summary>
    Kd = 4,
}

public static class DistillMethodParser
{
    /// <summary>Parses "fgfi", "cwd", "kd" or a '+'-joined combination; duplicates and empty parts are errors.</summary>
    public static DistillMethod Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new ArgumentException("--method is empty: expected fgfi, cwd, kd or a combination such as fgfi+kd.");
        var result = DistillMethod.None;
        foreach (var raw in text.Split('+'))
        {
            var part = raw.Trim().ToLowerInvariant();
            var m = part switch
            {
                "fgfi" => DistillMethod.Fgfi,
                "cwd" => DistillMethod.Cwd,
                "kd" => DistillMethod.Kd,
                _ => throw new ArgumentException($"Unknown distillation method '{raw.Trim()}' in '{text}': expected fgfi, cwd, kd or a combination such as fgfi+kd."),
            };
            if ((result & m) != 0) throw new ArgumentException($"Distillation method '{part}' is given twice in '{text}'.");
            result |= m;
        }
        return result;
    }

    /// <summary>Canonical text ("fgfi+cwd+kd" order).</summary>
    public static string Format(DistillMethod m)
    {
        var parts = new List<string>();
        if (m.HasFlag(DistillMethod.Fgfi)) parts.Add("fgfi");
        if (m.HasFlag(DistillMethod.Cwd)) parts.Add("cwd");
        if (m.HasFlag(DistillMethod.Kd)) parts.Add("kd");
        return parts.Count == 0 ? "none" : string.Join('+', parts);
    }
}
