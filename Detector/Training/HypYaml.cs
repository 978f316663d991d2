using System.Globalization;
using System.Reflection;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization.NamingConventions;
using YoloDistill.Detector.Common;

namespace YoloDistill.Detector.Training;

/// <summary>
/// Reads and writes Ultralytics hyp yaml files (data/hyps/hyp.*.yaml): one flat mapping of numbers. The keys are
/// <see cref="Hyp"/>'s properties in snake_case, in declaration order (Ultralytics' order), so a new hyperparameter is
/// one new property. Keys missing from the file keep <see cref="Hyp"/>'s defaults; unknown keys and bad numbers are
/// errors that name the file and line, because a silently ignored typo would train with the wrong recipe.
/// </summary>
public static class HypYaml
{
    /// <summary>Ultralytics' keys that are not the snake_case of the property name.</summary>
    static readonly Dictionary<string, string> KeyOverrides = new(StringComparer.Ordinal)
    {
        [nameof(Hyp.FlipUd)] = "flipud",
        [nameof(Hyp.FlipLr)] = "fliplr",
    };

    static readonly (string Key, PropertyInfo Property)[] Fields = typeof(Hyp)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.PropertyType == typeof(double) && p.CanWrite)
        .OrderBy(p => p.MetadataToken) // declaration order
        .Select(p => (KeyOverrides.GetValueOrDefault(p.Name) ?? UnderscoredNamingConvention.Instance.Apply(p.Name), p))
        .ToArray();

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
        var hyp = (defaults ?? new Hyp()) with { };
        try
        {
            var parser = new Parser(new StringReader(text));
            parser.Consume<StreamStart>();
            if (!parser.TryConsume<DocumentStart>(out _)) return hyp; // an empty file
            if (parser.TryConsume<Scalar>(out var root))
            {
                if (root.Value.Length == 0) return hyp; // "---" alone
                throw Error(sourceName, root, $"expected 'key: value', got '{root.Value}'.");
            }
            parser.Consume<MappingStart>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var key = parser.Consume<Scalar>();
                if (Tolerated.Contains(key.Value))
                {
                    parser.SkipThisAndNestedEvents();
                    continue;
                }
                var field = Array.Find(Fields, f => f.Key == key.Value);
                if (field.Key is null)
                    throw Error(sourceName, key, $"unknown hyperparameter '{key.Value}' (known: {string.Join(", ", Keys)}).");
                if (!seen.Add(key.Value)) throw Error(sourceName, key, $"hyperparameter '{key.Value}' is given twice.");
                if (!parser.TryConsume<Scalar>(out var raw) || !TryParseNumber(raw.Value, out var value))
                    throw Error(sourceName, key, $"'{key.Value}' must be a number, got '{(raw?.Value ?? "a list or mapping")}'.");
                field.Property.SetValue(hyp, value);
            }
            return hyp;
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"{sourceName}:{e.Start.Line}: {e.Message}", e);
        }
    }

    /// <summary>The yaml text Ultralytics writes as hyp.yaml in a run folder (same keys and order).</summary>
    public static string ToYaml(Hyp hyp)
    {
        var w = new StringWriter { NewLine = "\n" };
        var e = new Emitter(w);
        e.Emit(new StreamStart());
        e.Emit(new DocumentStart());
        e.Emit(new MappingStart());
        foreach (var (key, p) in Fields)
        {
            e.Emit(new Scalar(key));
            e.Emit(new Scalar(((double)p.GetValue(hyp)!).ToString("R", CultureInfo.InvariantCulture)));
        }
        e.Emit(new MappingEnd());
        e.Emit(new DocumentEnd(isImplicit: true));
        e.Emit(new StreamEnd());
        return w.ToString();
    }

    public static void Save(string path, Hyp hyp) => Common.AtomicFile.WriteAllText(path, ToYaml(hyp));

    static InvalidDataException Error(string source, ParsingEvent at, string message) =>
        new($"{source}:{at.Start.Line}: {message}");

    static bool TryParseNumber(string raw, out double value) =>
        // yaml 1.1 floats as PyYAML writes them (1e-3 needs no dot here; .inf/.nan are not sensible hyps).
        double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
}
