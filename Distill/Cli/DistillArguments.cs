using System.CommandLine;
using YoloDistill.Distill.Distillation;

namespace YoloDistill.Distill.Cli;

/// <summary>
/// The distillation options of the distill verb, made from the loss registry: --method, one --option per loss and
/// adapter setting (<see cref="DistillLosses.AllSettings"/>), --{loss}-preset for losses with presets, and
/// --teacher-precision. A new registered loss gets its options here without a change to this file.
/// </summary>
public sealed class DistillArguments
{
    public Option<string> Method { get; } = new("--method")
    {
        Description = $"Distillation losses: {string.Join(", ", DistillLosses.All.Select(k => k.Name))}, or a '+' combination such as fgfi+kd",
        DefaultValueFactory = _ => "fgfi",
    };
    public Option<string> Precision { get; } = new("--teacher-precision")
    {
        Description = "Number format of the teacher's forward pass: auto (bf16 on CPUs with AVX512-BF16/AMX, fp16 on CUDA, else fp32), fp32, bf16 or fp16",
        DefaultValueFactory = _ => "auto",
    };

    readonly List<(LossSetting Setting, Option<string?> Option)> settings = [];
    readonly List<(DistillLossKind Kind, Option<string?> Option)> presets = [];

    public DistillArguments()
    {
        foreach (var s in DistillLosses.AllSettings)
        {
            var owner = DistillLosses.All.FirstOrDefault(k => k.Settings.Contains(s));
            var presetText = owner is null
                ? string.Concat(DistillLosses.All.Where(k => k.AdapterDefaults.IsSet(s)).Select(k => $"; with {k.Name}: {k.AdapterDefaults.Text(s)}"))
                  + string.Concat(DistillLosses.All.SelectMany(k => k.Presets.Where(p => p.Value.IsSet(s)).Select(p => $"; {k.Name} {p.Key}: {p.Value.Text(s)}")))
                : string.Concat(owner.Presets.Where(p => p.Value.IsSet(s)).Select(p => $"; {p.Key}: {p.Value.Text(s)}"));
            settings.Add((s, new Option<string?>("--" + s.Name) { Description = $"{s.Description} [default: {s.FormatBoxed(s.DefaultValue)}{presetText}]" }));
        }
        foreach (var k in DistillLosses.All.Where(k => k.Presets.Count > 0))
            presets.Add((k, new Option<string?>($"--{k.Name}-preset")
            {
                Description = $"Named {k.Name} settings ({string.Join(", ", k.Presets.Keys)}); options given explicitly win",
            }));
    }

    public void AddTo(Command cmd)
    {
        cmd.Options.Add(Method);
        foreach (var (_, o) in presets) cmd.Options.Add(o);
        foreach (var (_, o) in settings) cmd.Options.Add(o);
        cmd.Options.Add(Precision);
    }

    /// <summary>The options the command line asks for; a setting or preset of a loss that --method does not select is an error.</summary>
    public DistillOptions Bind(ParseResult pr)
    {
        var options = DistillOptions.For(pr.GetValue(Method)!) with { TeacherPrecision = TeacherPrecisionParser.Parse(pr.GetValue(Precision)!) };
        var active = options.ActiveSettings.ToHashSet();
        var values = new LossSettings();
        foreach (var (kind, option) in presets)
        {
            if (pr.GetValue(option) is not { } name) continue;
            if (!options.Losses.Contains(kind))
                throw new ArgumentException($"{option.Name} applies to {kind.Name}, which --method {options.Method} does not select.");
            if (!kind.Presets.TryGetValue(name.Trim().ToLowerInvariant(), out var preset))
                throw new ArgumentException($"{option.Name} '{name}': expected {string.Join(" or ", kind.Presets.Keys)}.");
            values = preset.Under(values);
        }
        foreach (var (setting, option) in settings)
        {
            if (pr.GetValue(option) is not { } text) continue;
            if (!active.Contains(setting))
                throw new ArgumentException($"{option.Name} does not apply to --method {options.Method} (it sets {Owner(setting)}).");
            values = values.WithText(setting, text);
        }
        return options with { Settings = values };
    }

    static string Owner(LossSetting s) =>
        DistillLosses.All.FirstOrDefault(k => k.Settings.Contains(s)) is { } k ? k.Name : "the adapters of the feature losses";
}
