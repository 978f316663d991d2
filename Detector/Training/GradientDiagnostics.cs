using System.Globalization;
using CsvHelper;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Training;

/// <summary>
/// Measures how loss terms pull on the model: every N batches the gradient of the detection loss and of each extension
/// term is taken separately (autograd.grad on the model's trainable parameters, the graph kept for the real backward),
/// and their norms and cosines are written to diagnostics.csv with the extension's statistics and how the gradient clip
/// (total norm 10, as train.py) acted on the optimizer steps since the last row.
/// </summary>
/// <remarks>
/// The clip columns describe the set clipped as one (<see cref="TrainOptions.Clip"/>): with the model's parameters
/// alone, mean_total_norm is the model's norm, and <see cref="RecordsExtensions"/> adds the extensions' own norm
/// (clipped on its own or not at all) as mean_extension_norm and extension_clipped_fraction.
/// A row may leave columns of the file's header empty (an extension with nothing to probe, e.g. distillation switched
/// off for the last epochs); a column the header lacks is an error.
/// </remarks>
public sealed class GradientDiagnostics(string path, int every, Parameter[] shared)
{
    int steps, clipped, extensionSteps, extensionClipped;
    double factorSum, normSum, extensionNormSum;
    string[]? header;

    /// <summary>Whether rows carry the extensions' gradient norm as a second clip record.</summary>
    public bool RecordsExtensions { get; init; }

    public bool Due(long iteration) => every > 0 && iteration % every == 0;

    /// <summary>Records one optimizer step's total gradient norm before clipping at <paramref name="maxNorm"/>.</summary>
    public void RecordClip(double totalNorm, double maxNorm)
    {
        steps++;
        normSum += totalNorm;
        double f = totalNorm > maxNorm ? maxNorm / (totalNorm + 1e-6) : 1.0;
        if (f < 1) clipped++;
        factorSum += f;
    }

    /// <summary>Records the extensions' gradient norm at one optimizer step (clipped at <paramref name="maxNorm"/>, or infinity when not clipped).</summary>
    public void RecordExtensionClip(double totalNorm, double maxNorm)
    {
        extensionSteps++;
        extensionNormSum += totalNorm;
        if (totalNorm > maxNorm) extensionClipped++;
    }

    /// <summary>Probes the gradients of <paramref name="detection"/> and of each extension's terms, and appends a row.</summary>
    public void Probe(int epoch, long iteration, Tensor detection, IReadOnlyList<ExtensionLoss> extensions)
    {
        using var scope = NewDisposeScope();
        var parts = new List<(string Name, Tensor Loss)> { ("det", detection) };
        foreach (var extension in extensions) parts.AddRange(extension.Terms);
        var grads = parts.Select(p => Flat(p.Loss)).ToArray();
        var row = new List<(string, double)>
        {
            ("epoch", epoch), ("iteration", iteration),
            ("clip_steps", steps), ("clipped_fraction", steps == 0 ? 0 : clipped / (double)steps),
            ("mean_clip_factor", steps == 0 ? 1 : factorSum / steps), ("mean_total_norm", steps == 0 ? 0 : normSum / steps),
        };
        if (RecordsExtensions)
        {
            row.Add(("mean_extension_norm", extensionSteps == 0 ? 0 : extensionNormSum / extensionSteps));
            row.Add(("extension_clipped_fraction", extensionSteps == 0 ? 0 : extensionClipped / (double)extensionSteps));
        }
        for (int i = 0; i < parts.Count; i++)
        {
            row.Add(($"{parts[i].Name}_loss", parts[i].Loss.detach().item<float>()));
            row.Add(($"{parts[i].Name}_grad_norm", grads[i].norm().item<float>()));
        }
        for (int i = 1; i < parts.Count; i++)
        {
            var cos = nn.functional.cosine_similarity(grads[0].unsqueeze(0), grads[i].unsqueeze(0), dim: 1, eps: 1e-12);
            row.Add(($"cos_det_{parts[i].Name}", cos.item<float>()));
        }
        var sum = grads.Aggregate((a, b) => a + b);
        row.Add(("sum_grad_norm", sum.norm().item<float>()));
        foreach (var extension in extensions) row.AddRange(extension.Stats);
        Append(row);
        steps = clipped = extensionSteps = extensionClipped = 0;
        factorSum = normSum = extensionNormSum = 0;
    }

    /// <summary>d loss / d shared parameters as one vector (zeros where the loss does not reach).</summary>
    Tensor Flat(Tensor loss)
    {
        var gs = torch.autograd.grad([loss], shared, retain_graph: true, allow_unused: true);
        return cat(gs.Select((g, i) => g is null || g.IsInvalid ? zeros(shared[i].numel(), device: shared[i].device) : g.reshape(-1)).ToArray());
    }

    void Append(List<(string Name, double Value)> row)
    {
        var names = row.Select(r => r.Name).ToArray();
        bool exists = File.Exists(path) && new FileInfo(path).Length > 0;
        if (header is null && exists)
        {
            using var reader = new StreamReader(path);
            header = reader.ReadLine()?.Split(',');
        }
        if (header is not null && names.Except(header).Any())
            throw new InvalidDataException($"{path}: columns ({string.Join(",", header)}) differ from this run's ({string.Join(",", names)}).");
        header ??= names;
        var values = row.ToDictionary(r => r.Name, r => r.Value.ToString("G7", CultureInfo.InvariantCulture), StringComparer.Ordinal);
        using var w = new StreamWriter(path, append: true);
        using var csv = CsvWriter.Create(w, new CsvWriterOptions { NewLine = "\n", FormatProvider = CultureInfo.InvariantCulture });
        if (!exists) csv.WriteRecord(header);
        csv.WriteRecord(header.Select(n => values.GetValueOrDefault(n, "")).ToArray());
    }
}
