using System.Globalization;

namespace YoloDistill.Distill.Distillation;

/// <summary>
/// One named option of a distillation loss (e.g. FGFI's <c>imitation-weight</c>): its CLI name <c>--{Name}</c>, its
/// checkpoint metadata key <c>distill.{name_with_underscores}</c>, its default, and how its text is parsed and checked.
/// A loss declares its settings as static fields of this type, so reading one is typed: <c>settings.Get(ImitationWeight)</c>.
/// </summary>
public abstract class LossSetting(string name, string description)
{
    /// <summary>Option name without dashes; unique over every registered loss.</summary>
    public string Name { get; } = name;
    public string Description { get; } = description;
    public string MetadataKey => "distill." + Name.Replace('-', '_');
    public abstract object DefaultValue { get; }
    /// <summary>Parses and validates; throws ArgumentException naming <c>--{Name}</c>.</summary>
    public abstract object ParseBoxed(string text);
    public abstract string FormatBoxed(object value);
}

public sealed class LossSetting<T>(string name, string description, T defaultValue, Func<string, T> parse, Func<T, string> format,
    Func<T, string?>? validate = null) : LossSetting(name, description) where T : notnull
{
    public T Default { get; } = defaultValue;
    public override object DefaultValue => Default;

    public T Parse(string text)
    {
        T v;
        try { v = parse(text.Trim()); }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new ArgumentException($"--{Name} '{text}': {(e is ArgumentException ? e.Message : "not a valid value")}.", e);
        }
        Check(v);
        return v;
    }

    public void Check(T value)
    {
        if (validate?.Invoke(value) is { } problem) throw new ArgumentException($"--{Name} {format(value)}: {problem}.");
    }

    public override object ParseBoxed(string text) => Parse(text);
    public override string FormatBoxed(object value) => format((T)value);
    public string Format(T value) => format(value);
}

/// <summary>Constructors for the usual kinds of setting.</summary>
public static class Setting
{
    public static LossSetting<double> Number(string name, string description, double defaultValue, Func<double, string?>? validate = null) =>
        new(name, description, defaultValue, s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture),
            v => v.ToString("R", CultureInfo.InvariantCulture), validate);

    public static LossSetting<long> Count(string name, string description, long defaultValue) =>
        new(name, description, defaultValue, s => long.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture),
            v => v.ToString(CultureInfo.InvariantCulture), v => v < 0 ? "must be >= 0" : null);

    /// <summary>A choice among an enum's values, written in lower case with '-' for '_' (e.g. PerLevel = "per-level").</summary>
    public static LossSetting<TEnum> Choice<TEnum>(string name, string description, TEnum defaultValue) where TEnum : struct, Enum =>
        new(name, description + $" ({string.Join(", ", Enum.GetValues<TEnum>().Select(ChoiceText))})", defaultValue,
            s =>
            {
                foreach (var v in Enum.GetValues<TEnum>())
                    if (string.Equals(ChoiceText(v), s, StringComparison.OrdinalIgnoreCase)) return v;
                throw new ArgumentException($"expected {string.Join(", ", Enum.GetValues<TEnum>().Select(ChoiceText))}");
            },
            ChoiceText);

    public static string ChoiceText<TEnum>(TEnum v) where TEnum : struct, Enum
    {
        var s = v.ToString();
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < s.Length; i++)
        {
            if (i > 0 && char.IsUpper(s[i])) sb.Append('-');
            sb.Append(char.ToLowerInvariant(s[i]));
        }
        return sb.ToString();
    }
}

/// <summary>
/// Values of loss settings; a setting without a value reads as its default. Immutable: <see cref="With{T}"/> returns a copy.
/// </summary>
public sealed class LossSettings
{
    readonly Dictionary<string, object> values;

    public LossSettings() : this(new Dictionary<string, object>(StringComparer.Ordinal)) { }
    LossSettings(Dictionary<string, object> values) => this.values = values;

    public T Get<T>(LossSetting<T> setting) where T : notnull => values.TryGetValue(setting.Name, out var v) ? (T)v : setting.Default;

    public bool IsSet(LossSetting setting) => values.ContainsKey(setting.Name);

    public LossSettings With<T>(LossSetting<T> setting, T value) where T : notnull
    {
        setting.Check(value);
        return new LossSettings(new Dictionary<string, object>(values, StringComparer.Ordinal) { [setting.Name] = value });
    }

    /// <summary>Sets a value given as text (from the command line or a checkpoint).</summary>
    public LossSettings WithText(LossSetting setting, string text) =>
        new(new Dictionary<string, object>(values, StringComparer.Ordinal) { [setting.Name] = setting.ParseBoxed(text) });

    /// <summary>Values of <paramref name="other"/> for the settings this one leaves unset.</summary>
    public LossSettings Under(LossSettings other)
    {
        var merged = new Dictionary<string, object>(other.values, StringComparer.Ordinal);
        foreach (var (k, v) in values) merged[k] = v;
        return new LossSettings(merged);
    }

    public string Text(LossSetting setting) => setting.FormatBoxed(values.TryGetValue(setting.Name, out var v) ? v : setting.DefaultValue);
}
