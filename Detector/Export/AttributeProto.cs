using Google.Protobuf;

namespace YoloDistill.Detector.Export;

// The rest of AttributeProto is generated from onnx.proto (scripts/msbuild/Protoc.targets).
internal sealed partial class AttributeProto
{
    // onnx.proto is proto2: setting a value field marks it present, so a zero (ceil_mode 0) is written like any
    // other value, as the attribute's type says it must be.
    public static AttributeProto Of(string name, long v) => new() { Name = name, Type = Types.AttributeType.Int, I = v };
    public static AttributeProto Of(string name, float v) => new() { Name = name, Type = Types.AttributeType.Float, F = v };
    public static AttributeProto Of(string name, string v) => new() { Name = name, Type = Types.AttributeType.String, S = ByteString.CopyFromUtf8(v) };

    public static AttributeProto Of(string name, params long[] v)
    {
        var a = new AttributeProto { Name = name, Type = Types.AttributeType.Ints };
        a.Ints.Add(v);
        return a;
    }
}
