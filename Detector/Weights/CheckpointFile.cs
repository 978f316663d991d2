using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Weights;

/// <summary>
/// The container of yolo-distill's checkpoint file (.ckpt): 8-byte magic, u32 format version, u64 JSON header length,
/// JSON header (metadata + tensor index), raw little-endian tensor data, and a SHA-256 of everything before it.
/// It lives with the other weights formats so that <see cref="CheckpointWeightsReader"/> can read a checkpoint's EMA
/// weights and model config without the training layer; the training state in the metadata is Training's Checkpoint's.
/// </summary>
internal static class CheckpointFile
{
    public const int FormatVersion = 1;
    static readonly byte[] Magic = "YDCKPT\r\n"u8.ToArray();
    const int PrefixLength = 8 + 4 + 8;
    const int HashLength = 32;

    public static bool HasMagic(ReadOnlySpan<byte> head) => head.Length >= 8 && head[..8].SequenceEqual(Magic);

    public static bool IsCheckpoint(string path)
    {
        if (!File.Exists(path)) return false;
        using var fs = File.OpenRead(path);
        Span<byte> head = stackalloc byte[8];
        return fs.Read(head) == 8 && head.SequenceEqual(Magic);
    }

    /// <summary>The exceptions a malformed header raises while it is picked apart; callers report them as one error.</summary>
    public static bool IsHeaderError(Exception e) =>
        e is JsonException or KeyNotFoundException or NullReferenceException or InvalidOperationException or FormatException;

    public static InvalidDataException MalformedHeader(string path, Exception e) =>
        new($"{path}: malformed checkpoint header ({e.Message}).", e);

    /// <summary>Reads, verifies and splits a checkpoint; every read is counted by <see cref="CheckpointMetrics"/>.</summary>
    public static CheckpointContents Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: checkpoint not found.", path);
        var bytes = File.ReadAllBytes(path);
        CheckpointMetrics.RecordRead(path);
        if (bytes.Length < 8 || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
            throw new InvalidDataException($"{path}: not a yolo-distill checkpoint (no checkpoint header).");
        if (bytes.Length < PrefixLength + HashLength)
            throw new InvalidDataException($"{path}: damaged checkpoint (truncated to {bytes.Length} bytes).");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        if (version != FormatVersion)
            throw new InvalidDataException($"{path}: checkpoint format version {version} is not supported (this build reads version {FormatVersion}).");
        var body = bytes.AsSpan(0, bytes.Length - HashLength);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - HashLength)))
            throw new InvalidDataException($"{path}: damaged checkpoint (checksum mismatch).");
        try { return Parse(bytes, path); }
        catch (Exception e) when (IsHeaderError(e)) { throw MalformedHeader(path, e); }
    }

    static CheckpointContents Parse(byte[] bytes, string path)
    {
        long n = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(12));
        long dataStart = PrefixLength + n, dataEnd = bytes.Length - HashLength;
        if (n <= 0 || dataStart > dataEnd) throw new InvalidDataException($"{path}: malformed checkpoint (header length {n}).");
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, PrefixLength, (int)n))!.AsObject();
        var meta = header["meta"]!.AsObject();
        var groups = new Dictionary<string, Dictionary<string, Tensor>>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, node) in header["tensors"]!.AsObject())
            {
                var t = TensorIndexEntry.Read(node!.AsObject(), "offsets", bytes, dataStart, dataEnd, path, name,
                    _ => $"{path}: tensor '{name}' lies outside the data section.");
                int slash = name.IndexOf('/');
                var kind = name[..slash];
                var rest = name[(slash + 1)..];
                if (kind == "extra")
                {
                    int s2 = rest.IndexOf('/');
                    kind = "extra/" + rest[..s2];
                    rest = rest[(s2 + 1)..];
                }
                if (!groups.TryGetValue(kind, out var g)) groups[kind] = g = new(StringComparer.Ordinal);
                g[rest] = t;
            }
        }
        catch
        {
            foreach (var g in groups.Values) foreach (var t in g.Values) t.Dispose();
            throw;
        }
        return new CheckpointContents(meta, groups);
    }

    /// <summary>Writes the container through <see cref="AtomicFile"/>, so a crash leaves either the old or the new file.</summary>
    public static void Write(string path, JsonObject meta, List<(string Name, Tensor T)> tensors)
    {
        var index = new JsonObject();
        var cpu = new List<Tensor>();
        try
        {
            long offset = 0;
            foreach (var (name, t0) in tensors)
            {
                var t = t0.detach().cpu().contiguous();
                cpu.Add(t);
                var (entry, size) = TensorIndexEntry.Write(t, offset, "offsets");
                index[name] = entry;
                offset += size;
            }
            var header = Encoding.UTF8.GetBytes(new JsonObject { ["meta"] = meta, ["tensors"] = index }.ToJsonString());
            AtomicFile.Write(path, fs =>
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                void Put(ReadOnlySpan<byte> b)
                {
                    fs.Write(b);
                    hash.AppendData(b);
                }
                Span<byte> num = stackalloc byte[8];
                Put(Magic);
                BinaryPrimitives.WriteUInt32LittleEndian(num, FormatVersion);
                Put(num[..4]);
                BinaryPrimitives.WriteInt64LittleEndian(num, header.Length);
                Put(num);
                Put(header);
                foreach (var t in cpu) Put(t.bytes);
                fs.Write(hash.GetHashAndReset());
            });
        }
        finally
        {
            foreach (var t in cpu) t.Dispose();
        }
    }

    public static JsonObject ConfigToJson(ModelConfig c) => new()
    {
        ["scale"] = c.Scale,
        ["nc"] = c.Nc,
        ["names"] = new JsonArray(c.Names.Select(n => (JsonNode)JsonValue.Create(n)).ToArray()),
        ["anchors"] = new JsonArray(c.AnchorsPx.Select(r => (JsonNode)new JsonArray(r.Select(v => (JsonNode)JsonValue.Create(v)).ToArray())).ToArray()),
        ["strides"] = new JsonArray(c.Strides.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
    };

    public static ModelConfig ConfigFromJson(JsonObject o) => new()
    {
        Scale = o["scale"]!.GetValue<string>(),
        Nc = o["nc"]!.GetValue<int>(),
        Names = o["names"]!.AsArray().Select(n => n!.GetValue<string>()).ToArray(),
        AnchorsPx = o["anchors"]!.AsArray().Select(r => r!.AsArray().Select(v => v!.GetValue<float>()).ToArray()).ToArray(),
        Strides = o["strides"]!.AsArray().Select(s => s!.GetValue<int>()).ToArray(),
    };
}

/// <summary>
/// A checkpoint's header metadata and its tensors grouped by prefix ("ema", "model", "optim", "extra/NAME").
/// Tensors not taken are the reader's to dispose.
/// </summary>
internal sealed class CheckpointContents(JsonObject meta, Dictionary<string, Dictionary<string, Tensor>> groups) : IDisposable
{
    public JsonObject Meta { get; } = meta;

    /// <summary>Hands a group's tensors to the caller; an absent group is empty.</summary>
    public Dictionary<string, Tensor> Take(string kind) => groups.Remove(kind, out var g) ? g : new(StringComparer.Ordinal);

    public void Dispose()
    {
        foreach (var g in groups.Values) foreach (var t in g.Values) t.Dispose();
        groups.Clear();
    }
}
