namespace YoloDistill.Distill.Distillation;

/// <summary>
/// A registered distillation loss: its --method name, its results.csv column, its settings (each a --option and a
/// checkpoint metadata key), named presets of those settings, and how to build it.
/// </summary>
public sealed record DistillLossKind(
    string Name,
    string Column,
    string Summary,
    bool ComparesFeatures,
    IReadOnlyList<LossSetting> Settings,
    Func<LossSettings, IDistillationLoss> Create)
{
    /// <summary>Named sets of setting values (e.g. FGFI's "paper"); chosen with --{Name}-preset, explicit options win.</summary>
    public IReadOnlyDictionary<string, LossSettings> Presets { get; init; } = new Dictionary<string, LossSettings>();

    /// <summary>Values read from a checkpoint written before a setting existed (the behaviour such runs had).</summary>
    public LossSettings Legacy { get; init; } = new();

    /// <summary>
    /// Adapter settings (<see cref="Adapters.Settings"/>) this loss uses unless the command line sets them: the best
    /// adapter differs between losses (FGFI's starts near zero, 3x3). With several feature losses selected, the first
    /// in registry order that gives a value wins.
    /// </summary>
    public LossSettings AdapterDefaults { get; init; } = new();

    /// <summary>
    /// The loss compares the two heads' outputs anchor by anchor (KD, box KD), so teacher and student must keep the same
    /// anchors: AutoAnchor then only measures the student's fit and leaves its anchors as they are.
    /// </summary>
    public bool ComparesAnchors { get; init; }
}

/// <summary>
/// The registry of distillation losses. Adding a loss is one file that defines a <see cref="DistillLossKind"/> and
/// implements <see cref="IDistillationLoss"/>, plus one entry in <see cref="All"/>: the CLI options, the results.csv
/// column, checkpoint metadata and resume follow from it.
/// </summary>
public static class DistillLosses
{
    public static IReadOnlyList<DistillLossKind> All { get; } = [FgfiLoss.Kind, CwdLoss.Kind, KdLoss.Kind, KdBoxLoss.Kind];

    /// <summary>
    /// The run-level schedule's settings (<see cref="DistillSchedule"/>), those every feature loss shares (the adapters),
    /// then each loss's own, in registry order.
    /// </summary>
    public static IEnumerable<LossSetting> AllSettings => DistillSchedule.Settings.Concat(Adapters.Settings).Concat(All.SelectMany(k => k.Settings));

    public static DistillLossKind Find(string name) =>
        All.FirstOrDefault(k => string.Equals(k.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown distillation method '{name.Trim()}': expected {Names()} or a combination such as fgfi+kd.");

    /// <summary>Parses "fgfi", "kd", or a '+'-joined combination ("fgfi+kd"), in registry order; duplicates and empty parts are errors.</summary>
    public static IReadOnlyList<DistillLossKind> ParseMethod(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new ArgumentException($"--method is empty: expected {Names()} or a combination such as fgfi+kd.");
        var chosen = new List<DistillLossKind>();
        foreach (var raw in text.Split('+'))
        {
            if (string.IsNullOrWhiteSpace(raw))
                throw new ArgumentException($"--method '{text}' has an empty part: expected {Names()} joined by '+'.");
            var kind = Find(raw);
            if (chosen.Contains(kind)) throw new ArgumentException($"Distillation method '{kind.Name}' is given twice in '{text}'.");
            chosen.Add(kind);
        }
        return All.Where(chosen.Contains).ToArray();
    }

    /// <summary>Canonical text of a selection, in registry order ("fgfi+cwd+kd").</summary>
    public static string Format(IEnumerable<DistillLossKind> kinds)
    {
        var set = kinds.ToHashSet();
        return set.Count == 0 ? "none" : string.Join('+', All.Where(set.Contains).Select(k => k.Name));
    }

    static string Names() => string.Join(", ", All.Select(k => k.Name));
}
