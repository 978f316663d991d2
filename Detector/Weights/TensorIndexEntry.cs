using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Weights;

/// <summary>
/// One tensor's entry in a JSON tensor index, the part safetensors files and yolo-distill checkpoints share:
/// {"dtype", "shape", offsets [begin, end) into the data section}. Only the offsets' key differs ("data_offsets" in
/// safetensors, "offsets" in a checkpoint).
/// </summary>
internal static class TensorIndexEntry
{
    /// <summary>The entry of <paramref name="t"/> (on the CPU, contiguous) placed at <paramref name="offset"/>; its size in bytes.</summary>
    public static (JsonObject Entry, long Bytes) Write(Tensor t, long offset, string offsetsKey)
    {
        long size = t.NumberOfElements * TensorDTypes.ElementSize(t.dtype);
        var entry = new JsonObject
        {
            ["dtype"] = TensorDTypes.Code(t.dtype),
            ["shape"] = new JsonArray(t.shape.Select(d => (JsonNode)JsonValue.Create(d)).ToArray()),
            [offsetsKey] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + size)),
        };
        return (entry, size);
    }

    /// <summary>
    /// The tensor an entry describes, read from <paramref name="bytes"/> whose data section runs from
    /// <paramref name="dataStart"/> to <paramref name="dataEnd"/>; <paramref name="outside"/> says, for the error,
    /// how a tensor that does not fit is described in this format.
    /// </summary>
    public static Tensor Read(JsonObject info, string offsetsKey, byte[] bytes, long dataStart, long dataEnd, string path, string name,
        Func<long[], string> outside)
    {
        var code = info["dtype"]!.GetValue<string>();
        if (!TensorDTypes.TryParse(code, out var dtype)) throw new InvalidDataException($"{path}: tensor '{name}' has unsupported dtype '{code}'.");
        var shape = info["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
        var offs = info[offsetsKey]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
        long begin = dataStart + offs[0], end = dataStart + offs[1];
        long expected = shape.Aggregate(1L, (a, b) => a * b) * TensorDTypes.ElementSize(dtype);
        if (offs[0] < 0 || end > dataEnd || end - begin != expected) throw new InvalidDataException(outside(offs));
        var t = empty(shape, dtype);
        if (expected > 0) t.bytes = bytes.AsSpan((int)begin, (int)expected);
        return t;
    }
}
