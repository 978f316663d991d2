using TorchSharp;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Weights;

/// <summary>
/// Copies a state dict into a built model the way Ultralytics' train.py does (intersect_dicts + load_state_dict(strict=False)):
/// every key with the same name and shape is copied in place; the rest keep their fresh initialisation. With a different
/// number of classes that leaves exactly Detect's output convs (model.24.m.*) untouched.
/// </summary>
public static class StateDictImporter
{
    /// <summary>Below this share of model keys matched, the weights are for another architecture and the import is refused.</summary>
    public const double MinMatchedFraction = 0.5;

    /// <param name="model">Built model whose parameters and buffers are overwritten in place.</param>
    /// <param name="sd">Tensors under Ultralytics' keys.</param>
    /// <param name="exclude">Substrings; a key containing any is not copied (Ultralytics' exclude, e.g. "anchor").</param>
    /// <param name="source">Named in the error when the weights do not fit the model.</param>
    public static ImportReport LoadInto(nn.Module model, IReadOnlyDictionary<string, Tensor> sd, IEnumerable<string>? exclude = null, string? source = null)
    {
        var excl = exclude?.ToArray() ?? [];
        var target = model.state_dict();
        var copied = new List<string>();
        var skipped = new List<ShapeMismatch>();
        var excluded = new List<string>();
        var missing = new List<string>();
        var toCopy = new List<(Tensor Dst, Tensor Src)>();

        foreach (var (key, dst) in target)
        {
            if (!sd.TryGetValue(key, out var src)) { missing.Add(key); continue; }
            if (excl.Any(e => key.Contains(e, StringComparison.Ordinal))) { excluded.Add(key); continue; }
            if (!src.shape.SequenceEqual(dst.shape)) { skipped.Add(new ShapeMismatch(key, dst.shape, src.shape)); continue; }
            toCopy.Add((dst, src));
            copied.Add(key);
        }
        var unexpected = sd.Keys.Where(k => !target.ContainsKey(k)).ToList();

        int considered = target.Count - excluded.Count;
        if (considered > 0 && copied.Count < MinMatchedFraction * considered)
        {
            var example = skipped.Count > 0 ? $" e.g. {skipped[0]}" : missing.Count > 0 ? $" e.g. model key '{missing[0]}' is absent" : "";
            throw new InvalidDataException(
                $"{source ?? "weights"}: only {copied.Count} of {considered} model tensors match by name and shape ({skipped.Count} differ in shape, {missing.Count} missing);" +
                $" the weights are for a different architecture or scale.{example}");
        }

        using (no_grad())
            foreach (var (dst, src) in toCopy) dst.copy_(src);

        return new ImportReport
        {
            Copied = copied, Skipped = skipped, Excluded = excluded, Missing = missing, Unexpected = unexpected, ModelKeys = target.Count,
        };
    }

    /// <summary>Imports loaded weights, naming their file in errors.</summary>
    public static ImportReport LoadInto(nn.Module model, LoadedWeights weights, IEnumerable<string>? exclude = null) =>
        LoadInto(model, weights.StateDict, exclude, weights.Source);
}
