using System.Globalization;

namespace YoloDistill.Distill.Distillation;

/// <summary>
/// Distillation settings: the selected losses (<c>--method</c>), the values of their settings (unset ones read as each
/// setting's default, see <see cref="FgfiLoss"/>, <see cref="CwdLoss"/>, <see cref="KdLoss"/>, <see cref="KdBoxLoss"/>, <see cref="Adapters"/>),
/// and the teacher's number format.
/// </summary>
public sealed record DistillOptions
{
    /// <summary>Selected losses in registry order (--method, '+'-combinable). Default FGFI.</summary>
    public IReadOnlyList<DistillLossKind> Losses { get; init; } = [FgfiLoss.Kind];

    /// <summary>Values of loss and adapter settings; unset ones take their defaults.</summary>
    public LossSettings Settings { get; init; } = new();

    /// <summary>Number format of the teacher's forward pass (auto: bfloat16 on CPUs with native support, fp16 on CUDA).</summary>
    public TeacherPrecision TeacherPrecision { get; init; } = TeacherPrecision.Auto;

    /// <summary>Selected losses as --method text ("fgfi+kd").</summary>
    public string Method => DistillLosses.Format(Losses);

    /// <summary>Whether the selected losses need adapters (feature losses do, KD does not).</summary>
    public bool NeedsAdapters => Losses.Any(k => k.ComparesFeatures);

    /// <summary>Options for a --method text with the given setting values.</summary>
    public static DistillOptions For(string method, LossSettings? settings = null) =>
        new() { Losses = DistillLosses.ParseMethod(method), Settings = settings ?? new LossSettings() };

    /// <summary>
    /// The values the losses and adapters run with: the explicit <see cref="Settings"/> over the adapter defaults of the
    /// selected losses (<see cref="DistillLossKind.AdapterDefaults"/>); settings unset in both read as their defaults.
    /// </summary>
    public LossSettings Effective
    {
        get
        {
            var defaults = new LossSettings();
            foreach (var kind in Losses.Reverse()) defaults = kind.AdapterDefaults.Under(defaults);
            return Settings.Under(defaults);
        }
    }

    public T Get<T>(LossSetting<T> setting) where T : notnull => Effective.Get(setting);

    public DistillOptions With<T>(LossSetting<T> setting, T value) where T : notnull => this with { Settings = Settings.With(setting, value) };

    /// <summary>Throws ArgumentException when nothing is selected.</summary>
    public void Validate()
    {
        if (Losses.Count == 0) throw new ArgumentException($"No distillation method selected (--method {string.Join("|", DistillLosses.All.Select(k => k.Name))} or a combination).");
    }

    /// <summary>
    /// The settings that apply: the run-level schedule's (every method), the adapters' when a feature loss is selected,
    /// then each selected loss's own.
    /// </summary>
    public IEnumerable<LossSetting> ActiveSettings =>
        DistillSchedule.Settings.Concat(NeedsAdapters ? Adapters.Settings : []).Concat(Losses.SelectMany(k => k.Settings));

    /// <summary>Checkpoint metadata: the method, every active setting, the teacher's number format.</summary>
    public IReadOnlyDictionary<string, string> ToMetadata()
    {
        var meta = new Dictionary<string, string>(StringComparer.Ordinal) { ["distill.method"] = Method };
        var effective = Effective;
        foreach (var s in ActiveSettings) meta[s.MetadataKey] = effective.Text(s);
        meta["distill.teacher_precision"] = TeacherPrecisionParser.Format(TeacherPrecision);
        return meta;
    }

    /// <summary>
    /// The options a checkpoint's metadata records, or null when it holds no distillation method. A setting it lacks
    /// (written before the setting existed) takes the value such runs had (<see cref="DistillLossKind.Legacy"/>).
    /// </summary>
    public static DistillOptions? FromMetadata(IReadOnlyDictionary<string, string> meta)
    {
        if (!meta.TryGetValue("distill.method", out var method)) return null;
        var o = For(method);
        var settings = new LossSettings();
        foreach (var kind in o.Losses) settings = kind.Legacy.Under(settings);
        foreach (var s in o.ActiveSettings)
            if (meta.TryGetValue(s.MetadataKey, out var text)) settings = settings.WithText(s, text);
        return o with
        {
            Settings = settings,
            TeacherPrecision = meta.TryGetValue("distill.teacher_precision", out var tp) ? TeacherPrecisionParser.Parse(tp) : TeacherPrecision.Float32,
        };
    }

    /// <summary>One line per selected loss saying how it is set, for the console.</summary>
    public IEnumerable<string> Describe()
    {
        foreach (var kind in Losses) yield return kind.Create(Effective).Describe();
        if (new DistillSchedule(Effective).Describe() is { } schedule) yield return schedule;
        if (NeedsAdapters)
            yield return string.Create(CultureInfo.InvariantCulture,
                $"adapters: {Adapters.Kernel.Format(Get(Adapters.Kernel))}, init {Adapters.Init.Format(Get(Adapters.Init))}");
    }
}
