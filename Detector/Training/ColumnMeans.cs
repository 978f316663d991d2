namespace YoloDistill.Detector.Training;

/// <summary>
/// An epoch's running mean of each named loss column over its batches, as train.py's
/// mloss = (mloss * i + loss_items) / (i + 1). Values are matched to columns by name, so an extension's items land in
/// its own columns whatever order they come in.
/// </summary>
internal sealed class ColumnMeans
{
    readonly string[] names;
    readonly double[] means;
    readonly Dictionary<string, int> index = new(StringComparer.Ordinal);
    int batches;

    /// <summary>Columns in the order results.csv and the progress bar show them; a name given twice is refused.</summary>
    public ColumnMeans(IEnumerable<string> columns)
    {
        names = columns.ToArray();
        means = new double[names.Length];
        for (int i = 0; i < names.Length; i++)
            if (!index.TryAdd(names[i], i)) throw new ArgumentException($"The loss column '{names[i]}' is named twice.");
    }

    public IReadOnlyList<string> Names => names;

    /// <summary>Adds one batch: a value for every column, by name.</summary>
    public void Add(IReadOnlyDictionary<string, float> batch)
    {
        if (batch.Count != names.Length || batch.Keys.Any(k => !index.ContainsKey(k)))
            throw new InvalidDataException(
                $"A batch gave the loss items ({string.Join(", ", batch.Keys)}) for the columns ({string.Join(", ", names)}); each column needs one value.");
        for (int k = 0; k < names.Length; k++) means[k] = (means[k] * batches + batch[names[k]]) / (batches + 1);
        batches++;
    }

    public double this[string column] => index.TryGetValue(column, out var k) ? means[k] : throw new KeyNotFoundException($"No loss column '{column}'.");

    /// <summary>The means by name, in column order.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Values => names.Select((n, k) => KeyValuePair.Create(n, means[k])).ToArray();
}
