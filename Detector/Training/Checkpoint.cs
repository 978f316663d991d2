using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Weights;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Training;

/// <summary>
/// yolo-distill's checkpoint file (.ckpt): 8-byte magic, u32 format version, u64 JSON header length, JSON header
/// (metadata + tensor index), raw little-endian tensor data, and a SHA-256 of everything before it. Written through
/// <see cref="AtomicFile"/>, so a crash leaves either the old or the new file;
/// a damaged, truncated or foreign-version file is refused with a message naming it.
/// </summary>
public static class Checkpoint
{
    public const int FormatVersion = 1;
    static readonly byte[] Magic = "YDCKPT\r\n"u8.ToArray();
    const int PrefixLength = 8 + 4 + 8;
    const int HashLength = 32;

    static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>True when these first bytes of a file are the checkpoint magic.</summary>
    public static bool HasMagic(ReadOnlySpan<byte> head) => head.Length >= 8 && head[..8].SequenceEqual(Magic);

    /// <summary>True when the file starts with the checkpoint magic (cheap; does not validate the rest).</summary>
    public static bool IsCheckpoint(string path)
    {
        if (!File.Exists(path)) return false;
        using var fs = File.OpenRead(path);
        Span<byte> head = stackalloc byte[8];
        return fs.Read(head) == 8 && head.SequenceEqual(Magic);
    }

    public static void Save(string path, CheckpointData c)
    {
        var meta = new JsonObject
        {
            ["format"] = "yolo-distill-checkpoint",
            ["config"] = ConfigToJson(c.Config),
            ["epoch"] = c.Epoch,
            ["best_fitness"] = c.BestFitness,
            ["best_epoch"] = c.BestEpoch,
            ["ema_updates"] = c.EmaUpdates,
            ["last_opt_step"] = c.LastOptStep,
            ["seed"] = c.Seed,
            ["hyp"] = JsonSerializer.SerializeToNode(c.Hyp, Json),
            ["options"] = c.Options is null ? null : JsonSerializer.SerializeToNode(c.Options, Json),
            ["optimizer"] = c.Optimizer?.ToJson(),
            ["has_model"] = c.Model is not null,
            ["extras"] = new JsonArray(c.Extras.Keys.Order(StringComparer.Ordinal).Select(k => (JsonNode)JsonValue.Create(k)!).ToArray()),
            ["metadata"] = new JsonObject(c.Metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
            ["date"] = c.Date,
        };
        var tensors = new List<(string Name, Tensor T)>();
        tensors.AddRange(c.Ema.Select(kv => ("ema/" + kv.Key, kv.Value)));
        if (c.Model is not null) tensors.AddRange(c.Model.Select(kv => ("model/" + kv.Key, kv.Value)));
        if (c.Optimizer is not null) tensors.AddRange(c.Optimizer.NamedTensors().Select(x => ("optim/" + x.Name, x.Tensor)));
        foreach (var (g, d) in c.Extras)
        {
            if (g.Contains('/')) throw new ArgumentException($"Extra tensor group name '{g}' must not contain '/'.");
            tensors.AddRange(d.Select(kv => ($"extra/{g}/{kv.Key}", kv.Value)));
        }
        WriteAtomic(path, meta, tensors);
    }

    public static CheckpointData Load(string path)
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
        catch (Exception e) when (e is JsonException or KeyNotFoundException or NullReferenceException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: malformed checkpoint header ({e.Message}).", e);
        }
    }

    static CheckpointData Parse(byte[] bytes, string path)
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
                var info = node!.AsObject();
                var code = info["dtype"]!.GetValue<string>();
                if (!TensorDTypes.TryParse(code, out var dtype)) throw new InvalidDataException($"{path}: tensor '{name}' has unsupported dtype '{code}'.");
                var shape = info["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                var offs = info["offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                long begin = dataStart + offs[0], end = dataStart + offs[1];
                long expected = shape.Aggregate(1L, (a, b) => a * b) * TensorDTypes.ElementSize(dtype);
                if (offs[0] < 0 || end > dataEnd || end - begin != expected)
                    throw new InvalidDataException($"{path}: tensor '{name}' lies outside the data section.");
                var t = empty(shape, dtype);
                if (expected > 0) t.bytes = bytes.AsSpan((int)begin, (int)expected);
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
        Dictionary<string, Tensor> Take(string k) => groups.Remove(k, out var g) ? g : new(StringComparer.Ordinal);

        var extras = new Dictionary<string, Dictionary<string, Tensor>>(StringComparer.Ordinal);
        foreach (var e in meta["extras"]!.AsArray()) extras[e!.GetValue<string>()] = Take("extra/" + e.GetValue<string>());
        var optJson = meta["optimizer"] as JsonObject;
        var optTensors = Take("optim");
        return new CheckpointData
        {
            Config = ConfigFromJson(meta["config"]!.AsObject()),
            Ema = Take("ema"),
            Model = meta["has_model"]!.GetValue<bool>() ? Take("model") : null,
            Optimizer = optJson is null ? null : OptimizerSnapshot.FromJson(optJson, optTensors),
            Epoch = meta["epoch"]!.GetValue<int>(),
            BestFitness = meta["best_fitness"]!.GetValue<double>(),
            BestEpoch = meta["best_epoch"]!.GetValue<int>(),
            EmaUpdates = meta["ema_updates"]!.GetValue<long>(),
            LastOptStep = meta["last_opt_step"]!.GetValue<long>(),
            Seed = meta["seed"]!.GetValue<int>(),
            Hyp = meta["hyp"].Deserialize<Hyp>(Json)!,
            Options = meta["options"] is JsonObject o ? o.Deserialize<TrainOptions>(Json) : null,
            Extras = extras,
            Metadata = meta["metadata"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>(), StringComparer.Ordinal),
            Date = meta["date"]?.GetValue<string>() ?? "",
        };
    }

    static void WriteAtomic(string path, JsonObject meta, List<(string Name, Tensor T)> tensors)
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
                long size = t.NumberOfElements * TensorDTypes.ElementSize(t.dtype);
                index[name] = new JsonObject
                {
                    ["dtype"] = TensorDTypes.Code(t.dtype),
                    ["shape"] = new JsonArray(t.shape.Select(d => (JsonNode)JsonValue.Create(d)).ToArray()),
                    ["offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + size)),
                };
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

    static JsonObject ConfigToJson(ModelConfig c) => new()
    {
        ["scale"] = c.Scale,
        ["nc"] = c.Nc,
        ["names"] = new JsonArray(c.Names.Select(n => (JsonNode)JsonValue.Create(n)).ToArray()),
        ["anchors"] = new JsonArray(c.AnchorsPx.Select(r => (JsonNode)new JsonArray(r.Select(v => (JsonNode)JsonValue.Create(v)).ToArray())).ToArray()),
        ["strides"] = new JsonArray(c.Strides.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
    };

    static ModelConfig ConfigFromJson(JsonObject o) => new()
    {
        Scale = o["scale"]!.GetValue<string>(),
        Nc = o["nc"]!.GetValue<int>(),
        Names = o["names"]!.AsArray().Select(n => n!.GetValue<string>()).ToArray(),
        AnchorsPx = o["anchors"]!.AsArray().Select(r => r!.AsArray().Select(v => v!.GetValue<float>()).ToArray()).ToArray(),
        Strides = o["strides"]!.AsArray().Select(s => s!.GetValue<int>()).ToArray(),
    };

}
