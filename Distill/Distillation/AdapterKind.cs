namespace YoloDistill.Distill.Distillation;

/// <summary>Kernel of the per-level adaptation convolution that maps student features onto the teacher's channels.</summary>
public enum AdapterKind
{
    /// <summary>1×1 convolution (default): a per-cell linear map, cheapest and enough when widths differ.</summary>
    Conv1x1,
    /// <summary>3×3 convolution with padding 1, as FGFI's original adaptation layer.</summary>
    Conv3x3,
}

/// <summary>How the adapters' weights start.</summary>
public enum AdapterInit
{
    /// <summary>libtorch's default for a convolution (Kaiming-uniform weights and biases).</summary>
    Default,
    /// <summary>Weights from N(0, 1e-4) truncated at two deviations (FGFI's reference code): the adapter starts close to zero.</summary>
    Small,
}

public static class AdapterKindParser
{
    public static AdapterKind Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "1x1" or "1" => AdapterKind.Conv1x1,
        "3x3" or "3" => AdapterKind.Conv3x3,
        _ => throw new ArgumentException($"expected 1x1 or 3x3"),
    };

    public static string Format(AdapterKind kind) => kind == AdapterKind.Conv3x3 ? "3x3" : "1x1";
}
