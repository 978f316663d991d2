using Google.Protobuf;

namespace YoloDistill.Detector.Export;

/// <summary>
/// The header facts of an .onnx file that ONNX Runtime does not expose (IR version, opsets, producer), read with the
/// message classes generated from onnx.proto; the graph itself is skipped.
/// </summary>
public sealed record OnnxModelInfo(long IrVersion, string ProducerName, IReadOnlyDictionary<string, long> Opsets,
    IReadOnlyDictionary<string, string> Metadata)
{
    public static OnnxModelInfo Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found.", path);
        try
        {
            using var fs = File.OpenRead(path);
            var input = new CodedInputStream(fs);
            // ModelProto.Parser would load the graph with every weight (hundreds of MB for the larger models) only to
            // drop it: the top-level fields are walked instead, the graph skipped unread, the rest read as onnx.proto says.
            long ir = 0;
            string producer = "";
            var opsets = new Dictionary<string, long>(StringComparer.Ordinal);
            var meta = new Dictionary<string, string>(StringComparer.Ordinal);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case ModelProto.IrVersionFieldNumber: ir = input.ReadInt64(); break;
                    case ModelProto.ProducerNameFieldNumber: producer = input.ReadString(); break;
                    case ModelProto.OpsetImportFieldNumber:
                        var opset = new OperatorSetIdProto();
                        input.ReadMessage(opset);
                        opsets[opset.Domain] = opset.Version;
                        break;
                    case ModelProto.MetadataPropsFieldNumber:
                        var entry = new StringStringEntryProto();
                        input.ReadMessage(entry);
                        meta[entry.Key] = entry.Value;
                        break;
                    default: input.SkipLastField(); break;
                }
            }
            return new OnnxModelInfo(ir, producer, opsets, meta);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{path}: not a valid ONNX model ({e.Message}).", e);
        }
    }
}
