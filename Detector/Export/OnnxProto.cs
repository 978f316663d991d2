using Google.Protobuf;
using YoloDistill.Detector.Common;

namespace YoloDistill.Detector.Export;

// The subset of onnx.proto (IR v8) that a feed-forward detector needs, serialised by hand so the project
// needs no protoc code generation. Field numbers are those of onnx/onnx onnx.proto; proto3 rules apply
// (default-valued scalars are not written, repeated numeric fields are packed).

/// <summary>A protobuf message that knows its encoded size and can write itself.</summary>
public abstract class OnnxMessage
{
    public abstract int Size();
    public abstract void WriteTo(CodedOutputStream o);

    public byte[] ToByteArray()
    {
        var bytes = new byte[Size()];
        var o = new CodedOutputStream(bytes);
        WriteTo(o);
        o.CheckNoSpaceLeft();
        return bytes;
    }

    // Encoding helpers shared by the messages; tags are (field << 3) | wire type.
    protected static int TagSize(int field) => CodedOutputStream.ComputeTagSize(field);

    protected static int StringSize(int field, string? s) =>
        string.IsNullOrEmpty(s) ? 0 : TagSize(field) + CodedOutputStream.ComputeStringSize(s);

    protected static void WriteString(CodedOutputStream o, int field, string? s)
    {
        if (string.IsNullOrEmpty(s)) return;
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteString(s);
    }

    protected static int Int64Size(int field, long v) => v == 0 ? 0 : TagSize(field) + CodedOutputStream.ComputeInt64Size(v);

    protected static void WriteInt64(CodedOutputStream o, int field, long v)
    {
        if (v == 0) return;
        o.WriteTag(field, WireFormat.WireType.Varint);
        o.WriteInt64(v);
    }

    protected static int MessageSize(int field, OnnxMessage? m)
    {
        if (m is null) return 0;
        int n = m.Size();
        return TagSize(field) + CodedOutputStream.ComputeLengthSize(n) + n;
    }

    protected static void WriteMessage(CodedOutputStream o, int field, OnnxMessage? m)
    {
        if (m is null) return;
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteLength(m.Size());
        m.WriteTo(o);
    }

    protected static int MessagesSize<T>(int field, IEnumerable<T> ms) where T : OnnxMessage => ms.Sum(m => MessageSize(field, m));

    protected static void WriteMessages<T>(CodedOutputStream o, int field, IEnumerable<T> ms) where T : OnnxMessage
    {
        foreach (var m in ms) WriteMessage(o, field, m);
    }

    protected static int PackedInt64Size(int field, IReadOnlyList<long> vs)
    {
        if (vs.Count == 0) return 0;
        int n = vs.Sum(CodedOutputStream.ComputeInt64Size);
        return TagSize(field) + CodedOutputStream.ComputeLengthSize(n) + n;
    }

    protected static void WritePackedInt64(CodedOutputStream o, int field, IReadOnlyList<long> vs)
    {
        if (vs.Count == 0) return;
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteLength(vs.Sum(CodedOutputStream.ComputeInt64Size));
        foreach (var v in vs) o.WriteInt64(v);
    }
}

/// <summary>onnx.TensorProto.DataType values used here.</summary>
public enum OnnxDataType
{
    Float = 1,
    Uint8 = 2,
    Int32 = 6,
    Int64 = 7,
    Float16 = 10,
    Double = 11,
}

/// <summary>OperatorSetIdProto: domain = 1, version = 2.</summary>
public sealed class OperatorSetIdProto : OnnxMessage
{
    public string Domain { get; init; } = "";
    public long Version { get; init; }

    public override int Size() => StringSize(1, Domain) + Int64Size(2, Version);

    public override void WriteTo(CodedOutputStream o)
    {
        WriteString(o, 1, Domain);
        WriteInt64(o, 2, Version);
    }
}

/// <summary>StringStringEntryProto: key = 1, value = 2.</summary>
public sealed class StringStringEntryProto : OnnxMessage
{
    public required string Key { get; init; }
    public required string Value { get; init; }

    public override int Size() => StringSize(1, Key) + StringSize(2, Value);

    public override void WriteTo(CodedOutputStream o)
    {
        WriteString(o, 1, Key);
        WriteString(o, 2, Value);
    }
}

/// <summary>TensorProto: dims = 1 (packed int64), data_type = 2, name = 8, raw_data = 9 (little-endian bytes).</summary>
public sealed class TensorProto : OnnxMessage
{
    public required string Name { get; init; }
    public required OnnxDataType DataType { get; init; }
    public required long[] Dims { get; init; }
    public required byte[] RawData { get; init; }

    public override int Size() =>
        PackedInt64Size(1, Dims) + Int64Size(2, (long)DataType) + StringSize(8, Name) +
        (RawData.Length == 0 ? 0 : TagSize(9) + CodedOutputStream.ComputeLengthSize(RawData.Length) + RawData.Length);

    public override void WriteTo(CodedOutputStream o)
    {
        WritePackedInt64(o, 1, Dims);
        WriteInt64(o, 2, (long)DataType);
        WriteString(o, 8, Name);
        if (RawData.Length == 0) return;
        o.WriteTag(9, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(UnsafeByteOperations.UnsafeWrap(RawData)); // length-prefixed, without copying the data

    }
}

/// <summary>AttributeProto.AttributeType values used here.</summary>
public enum OnnxAttributeType
{
    Float = 1,
    Int = 2,
    String = 3,
    Tensor = 4,
    Floats = 6,
    Ints = 7,
}

/// <summary>
/// AttributeProto: name = 1, f = 2, i = 3, s = 4, t = 5, floats = 7 (packed), ints = 8 (packed), type = 20.
/// </summary>
public sealed class AttributeProto : OnnxMessage
{
    public required string Name { get; init; }
    public required OnnxAttributeType Type { get; init; }
    public float F { get; init; }
    public long I { get; init; }
    public string? S { get; init; }
    public TensorProto? T { get; init; }
    public float[] Floats { get; init; } = [];
    public long[] Ints { get; init; } = [];

    public static AttributeProto Of(string name, long v) => new() { Name = name, Type = OnnxAttributeType.Int, I = v };
    public static AttributeProto Of(string name, float v) => new() { Name = name, Type = OnnxAttributeType.Float, F = v };
    public static AttributeProto Of(string name, string v) => new() { Name = name, Type = OnnxAttributeType.String, S = v };
    public static AttributeProto Of(string name, params long[] v) => new() { Name = name, Type = OnnxAttributeType.Ints, Ints = v };

    public override int Size()
    {
        int n = StringSize(1, Name) + Int64Size(20, (long)Type);
        switch (Type)
        {
            // The value field is written even when it equals the proto3 default: the type says it is present.
            case OnnxAttributeType.Float: n += TagSize(2) + 4; break;
            case OnnxAttributeType.Int: n += TagSize(3) + CodedOutputStream.ComputeInt64Size(I); break;
            case OnnxAttributeType.String: n += TagSize(4) + CodedOutputStream.ComputeStringSize(S ?? ""); break;
            case OnnxAttributeType.Tensor: n += MessageSize(5, T); break;
            case OnnxAttributeType.Floats:
                if (Floats.Length > 0) n += TagSize(7) + CodedOutputStream.ComputeLengthSize(4 * Floats.Length) + 4 * Floats.Length;
                break;
            case OnnxAttributeType.Ints: n += PackedInt64Size(8, Ints); break;
        }
        return n;
    }

    public override void WriteTo(CodedOutputStream o)
    {
        WriteString(o, 1, Name);
        switch (Type)
        {
            case OnnxAttributeType.Float:
                o.WriteTag(2, WireFormat.WireType.Fixed32);
                o.WriteFloat(F);
                break;
            case OnnxAttributeType.Int:
                o.WriteTag(3, WireFormat.WireType.Varint);
                o.WriteInt64(I);
                break;
            case OnnxAttributeType.String:
                o.WriteTag(4, WireFormat.WireType.LengthDelimited);
                o.WriteString(S ?? "");
                break;
            case OnnxAttributeType.Tensor:
                WriteMessage(o, 5, T);
                break;
            case OnnxAttributeType.Floats:
                if (Floats.Length == 0) break;
                o.WriteTag(7, WireFormat.WireType.LengthDelimited);
                o.WriteLength(4 * Floats.Length);
                foreach (var f in Floats) o.WriteFloat(f);
                break;
            case OnnxAttributeType.Ints:
                WritePackedInt64(o, 8, Ints);
                break;
        }
        WriteInt64(o, 20, (long)Type);
    }
}

/// <summary>NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5, domain = 7.</summary>
public sealed class NodeProto : OnnxMessage
{
    public required string OpType { get; init; }
    public string Name { get; init; } = "";
    public string Domain { get; init; } = "";
    public required string[] Inputs { get; init; }
    public required string[] Outputs { get; init; }
    public List<AttributeProto> Attributes { get; init; } = [];

    // Optional inputs are named "" and must still be written to keep their positions.
    static int RepeatedStringSize(int field, string[] ss) => ss.Sum(s => TagSize(field) + CodedOutputStream.ComputeStringSize(s));

    static void WriteRepeatedString(CodedOutputStream o, int field, string[] ss)
    {
        foreach (var s in ss)
        {
            o.WriteTag(field, WireFormat.WireType.LengthDelimited);
            o.WriteString(s);
        }
    }

    public override int Size() =>
        RepeatedStringSize(1, Inputs) + RepeatedStringSize(2, Outputs) + StringSize(3, Name) + StringSize(4, OpType) +
        MessagesSize(5, Attributes) + StringSize(7, Domain);

    public override void WriteTo(CodedOutputStream o)
    {
        WriteRepeatedString(o, 1, Inputs);
        WriteRepeatedString(o, 2, Outputs);
        WriteString(o, 3, Name);
        WriteString(o, 4, OpType);
        WriteMessages(o, 5, Attributes);
        WriteString(o, 7, Domain);
    }
}

/// <summary>TensorShapeProto.Dimension: dim_value = 1 or dim_param = 2 (a symbolic name).</summary>
public sealed class DimensionProto : OnnxMessage
{
    public long? Value { get; init; }
    public string? Param { get; init; }

    public static DimensionProto Fixed(long v) => new() { Value = v };
    public static DimensionProto Symbolic(string name) => new() { Param = name };

    public override int Size() => Value is { } v
        ? TagSize(1) + CodedOutputStream.ComputeInt64Size(v)
        : StringSize(2, Param);

    public override void WriteTo(CodedOutputStream o)
    {
        if (Value is { } v)
        {
            o.WriteTag(1, WireFormat.WireType.Varint);
            o.WriteInt64(v);
        }
        else WriteString(o, 2, Param);
    }
}

/// <summary>TensorShapeProto: dim = 1.</summary>
public sealed class TensorShapeProto : OnnxMessage
{
    public required DimensionProto[] Dims { get; init; }

    public override int Size() => MessagesSize(1, Dims);
    public override void WriteTo(CodedOutputStream o) => WriteMessages(o, 1, Dims);
}

/// <summary>TypeProto.Tensor: elem_type = 1, shape = 2.</summary>
public sealed class TensorTypeProto : OnnxMessage
{
    public required OnnxDataType ElemType { get; init; }
    public TensorShapeProto? Shape { get; init; }

    public override int Size() => Int64Size(1, (long)ElemType) + MessageSize(2, Shape);

    public override void WriteTo(CodedOutputStream o)
    {
        WriteInt64(o, 1, (long)ElemType);
        WriteMessage(o, 2, Shape);
    }
}

/// <summary>TypeProto: tensor_type = 1.</summary>
public sealed class TypeProto : OnnxMessage
{
    public required TensorTypeProto TensorType { get; init; }

    public override int Size() => MessageSize(1, TensorType);
    public override void WriteTo(CodedOutputStream o) => WriteMessage(o, 1, TensorType);
}

/// <summary>ValueInfoProto: name = 1, type = 2.</summary>
public sealed class ValueInfoProto : OnnxMessage
{
    public required string Name { get; init; }
    public required TypeProto Type { get; init; }

    public override int Size() => StringSize(1, Name) + MessageSize(2, Type);

    public override void WriteTo(CodedOutputStream o)
    {
        WriteString(o, 1, Name);
        WriteMessage(o, 2, Type);
    }
}

/// <summary>GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12.</summary>
public sealed class GraphProto : OnnxMessage
{
    public string Name { get; init; } = "";
    public List<NodeProto> Nodes { get; } = [];
    public List<TensorProto> Initializers { get; } = [];
    public List<ValueInfoProto> Inputs { get; } = [];
    public List<ValueInfoProto> Outputs { get; } = [];

    public override int Size() =>
        MessagesSize(1, Nodes) + StringSize(2, Name) + MessagesSize(5, Initializers) + MessagesSize(11, Inputs) + MessagesSize(12, Outputs);

    public override void WriteTo(CodedOutputStream o)
    {
        WriteMessages(o, 1, Nodes);
        WriteString(o, 2, Name);
        WriteMessages(o, 5, Initializers);
        WriteMessages(o, 11, Inputs);
        WriteMessages(o, 12, Outputs);
    }
}

/// <summary>
/// ModelProto: ir_version = 1, producer_name = 2, producer_version = 3, doc_string = 6, graph = 7,
/// opset_import = 8, metadata_props = 14.
/// </summary>
public sealed class ModelProto : OnnxMessage
{
    public long IrVersion { get; init; } = 8;
    public string ProducerName { get; init; } = "yolo-distill";
    public string ProducerVersion { get; init; } = "";
    public string DocString { get; init; } = "";
    public required GraphProto Graph { get; init; }
    public List<OperatorSetIdProto> OpsetImport { get; init; } = [];
    public List<StringStringEntryProto> MetadataProps { get; init; } = [];

    public override int Size() =>
        Int64Size(1, IrVersion) + StringSize(2, ProducerName) + StringSize(3, ProducerVersion) + StringSize(6, DocString) +
        MessageSize(7, Graph) + MessagesSize(8, OpsetImport) + MessagesSize(14, MetadataProps);

    public override void WriteTo(CodedOutputStream o)
    {
        WriteInt64(o, 1, IrVersion);
        WriteString(o, 2, ProducerName);
        WriteString(o, 3, ProducerVersion);
        WriteString(o, 6, DocString);
        WriteMessage(o, 7, Graph);
        WriteMessages(o, 8, OpsetImport);
        WriteMessages(o, 14, MetadataProps);
    }

    /// <summary>Writes the model atomically (temporary file, then rename).</summary>
    public void Save(string path)
    {
        AtomicFile.WriteAllBytes(path, ToByteArray());
    }
}
