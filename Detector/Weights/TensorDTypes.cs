using static TorchSharp.torch;

namespace YoloDistill.Detector.Weights;

/// <summary>The safetensors dtype codes ("F32", "I64", ...) that this project's tensor files (.safetensors, .ckpt) use.</summary>
public static class TensorDTypes
{
    public static bool TryParse(string code, out ScalarType type)
    {
        ScalarType? t = code switch
        {
            "F32" => ScalarType.Float32, "F64" => ScalarType.Float64, "F16" => ScalarType.Float16, "BF16" => ScalarType.BFloat16,
            "I64" => ScalarType.Int64, "I32" => ScalarType.Int32, "I16" => ScalarType.Int16, "I8" => ScalarType.Int8,
            "U8" => ScalarType.Byte, "BOOL" => ScalarType.Bool,
            _ => null,
        };
        type = t ?? default;
        return t.HasValue;
    }

    public static string Code(ScalarType t) => t switch
    {
        ScalarType.Float32 => "F32", ScalarType.Float64 => "F64", ScalarType.Float16 => "F16", ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64", ScalarType.Int32 => "I32", ScalarType.Int16 => "I16", ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8", ScalarType.Bool => "BOOL",
        _ => throw new ArgumentException($"dtype {t} cannot be stored in a tensor file."),
    };

    public static long ElementSize(ScalarType t) => t switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };
}
