using Google.Protobuf;

namespace YoloDistill.Detector.Export;

/// <summary>
/// The header facts of an .onnx file that ONNX Runtime does not expose (IR version, opsets, producer),
/// read straight from the ModelProto wire format; the graph itself is skipped.
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
            long ir = 0;
            string producer = "";
            var opsets = new Dictionary<string, long>(StringComparer.Ordinal);
            var meta = new Dictionary<string, string>(StringComparer.Ordinal);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1: ir = input.ReadInt64(); break;
                    case 2: producer = input.ReadString(); break;
                    case 8:
                        var (domain, version) = ReadPair(input.ReadBytes(), readSecondAsInt: true);
                        opsets[domain] = long.Parse(version);
                        break;
                    case 14:
                        var (k, v) = ReadPair(input.ReadBytes(), readSecondAsInt: false);
                        meta[k] = v;
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

    // OperatorSetIdProto (domain = 1, version = 2 int64) and StringStringEntryProto (key = 1, value = 2) share a layout.
    static (string, string) ReadPair(ByteString bytes, bool readSecondAsInt)
    {
        var input = bytes.CreateCodedInput();
        string first = "", second = readSecondAsInt ? "0" : "";
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: first = input.ReadString(); break;
                case 2: second = readSecondAsInt ? input.ReadInt64().ToString() : input.ReadString(); break;
                default: input.SkipLastField(); break;
            }
        }
        return (first, second);
    }
}
