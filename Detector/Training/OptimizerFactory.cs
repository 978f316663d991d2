using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Training;

/// <summary>
/// The three parameter groups of Ultralytics v7.0 smart_optimizer, in its order:
/// group 0 = biases (no decay; warmup starts their lr at warmup_bias_lr), group 1 = other weights (decay),
/// group 2 = normalization-layer weights (no decay). results.csv's x/lr0, x/lr1, x/lr2 are these groups.
/// </summary>
public sealed record ParameterGroups(
    IReadOnlyList<(string Name, Parameter Param)> Biases,
    IReadOnlyList<(string Name, Parameter Param)> Weights,
    IReadOnlyList<(string Name, Parameter Param)> NormWeights)
{
    public int Count => Biases.Count + Weights.Count + NormWeights.Count;
}

/// <summary>Builds the optimizer as train.py does (smart_optimizer + train.py's weight-decay scaling).</summary>
public static class OptimizerFactory
{
    /// <summary>
    /// Walks modules in registration order (as nn.Module.modules() does) and sorts each module's own parameters:
    /// "bias" -> biases, "weight" of a normalization layer -> no-decay weights, anything else -> decayed weights.
    /// Frozen parameters are included, as in Ultralytics: they simply never receive a gradient.
    /// </summary>
    public static ParameterGroups Classify(nn.Module model, string prefix = "")
    {
        var biases = new List<(string, Parameter)>();
        var weights = new List<(string, Parameter)>();
        var norms = new List<(string, Parameter)>();
        foreach (var (moduleName, module) in ModulesWithRoot(model))
        {
            foreach (var (pname, p) in module.named_parameters(recurse: false))
            {
                var full = Join(prefix, Join(moduleName, pname));
                if (pname == "bias") biases.Add((full, p));
                else if (pname == "weight" && IsNormalization(module)) norms.Add((full, p));
                else weights.Add((full, p));
            }
        }
        return new ParameterGroups(biases, weights, norms);
    }

    /// <summary>Concatenates groups group-wise (the model first, then e.g. distillation adapters), keeping three groups.</summary>
    public static ParameterGroups Merge(ParameterGroups a, ParameterGroups b) =>
        new([.. a.Biases, .. b.Biases], [.. a.Weights, .. b.Weights], [.. a.NormWeights, .. b.NormWeights]);

    /// <summary>
    /// SGD(lr0, momentum, nesterov) / Adam / AdamW(betas = (momentum, 0.999)) over the three groups, with
    /// <paramref name="weightDecay"/> (already scaled by batch*accumulate/64) on group 1 only.
    /// </summary>
    public static OptimizerHelper Create(OptimizerKind kind, ParameterGroups groups, double lr0, double momentum, double weightDecay)
    {
        var g0 = groups.Biases.Select(x => x.Param).ToArray();
        var g1 = groups.Weights.Select(x => x.Param).ToArray();
        var g2 = groups.NormWeights.Select(x => x.Param).ToArray();
        switch (kind)
        {
            case OptimizerKind.SGD:
                return new SGD(
                [
                    new SGD.ParamGroup(g0, lr0, momentum, 0, 0.0, true, false),
                    new SGD.ParamGroup(g1, lr0, momentum, 0, weightDecay, true, false),
                    new SGD.ParamGroup(g2, lr0, momentum, 0, 0.0, true, false),
                ], lr0, momentum, 0, 0, nesterov: true);
            case OptimizerKind.Adam:
                return new Adam(
                [
                    new Adam.ParamGroup(g0, lr0, momentum, 0.999, 1e-8, 0.0, false, false),
                    new Adam.ParamGroup(g1, lr0, momentum, 0.999, 1e-8, weightDecay, false, false),
                    new Adam.ParamGroup(g2, lr0, momentum, 0.999, 1e-8, 0.0, false, false),
                ], lr0, momentum, 0.999);
            case OptimizerKind.AdamW:
                return new AdamW(
                [
                    new AdamW.ParamGroup(g0, lr0, momentum, 0.999, 1e-8, 0.0, false, false),
                    new AdamW.ParamGroup(g1, lr0, momentum, 0.999, 1e-8, weightDecay, false, false),
                    new AdamW.ParamGroup(g2, lr0, momentum, 0.999, 1e-8, 0.0, false, false),
                ], lr0, momentum, 0.999);
            default:
                throw new ArgumentException($"Unknown optimizer '{kind}' (expected SGD, Adam or AdamW).");
        }
    }

    /// <summary>Sets SGD momentum on every group; Adam-family groups have betas instead and are left alone, as in train.py.</summary>
    public static void SetMomentum(OptimizerHelper optimizer, double momentum)
    {
        foreach (var g in optimizer.ParamGroups)
            if (g is ParamGroup { Options: SGD.Options o }) o.momentum = momentum;
    }

    public static double? GetMomentum(OptimizerHelper optimizer, int group) =>
        optimizer.ParamGroups.ElementAt(group) is ParamGroup { Options: SGD.Options o } ? o.momentum : null;

    public static double GetWeightDecay(OptimizerHelper optimizer, int group) =>
        ((ParamGroup)optimizer.ParamGroups.ElementAt(group)).Options switch
        {
            SGD.Options o => o.weight_decay ?? 0,
            Adam.Options o => o.weight_decay ?? 0,
            AdamW.Options o => o.weight_decay ?? 0,
            _ => 0,
        };

    static bool IsNormalization(nn.Module m) => m.GetType().Name.Contains("Norm", StringComparison.Ordinal);

    static IEnumerable<(string, nn.Module)> ModulesWithRoot(nn.Module model)
    {
        var seen = new HashSet<nn.Module>(ReferenceEqualityComparer.Instance) { model };
        yield return ("", model);
        foreach (var (name, m) in model.named_modules())
            if (seen.Add(m)) yield return (name, m);
    }

    static string Join(string a, string b) => a.Length == 0 ? b : b.Length == 0 ? a : a + "." + b;
}
