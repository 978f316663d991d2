using Google.Protobuf;
using YoloDistill.Detector.Common;

namespace YoloDistill.Detector.Export;

// The rest of ModelProto is generated from onnx.proto (scripts/msbuild/Protoc.targets).
internal sealed partial class ModelProto
{
    /// <summary>The encoded model (a member rather than Google.Protobuf's extension method, so callers need not import it).</summary>
    public byte[] ToByteArray() => MessageExtensions.ToByteArray(this);

    /// <summary>Writes the model atomically (temporary file, then rename).</summary>
    public void Save(string path) => AtomicFile.WriteAllBytes(path, ToByteArray());
}
