using System.Globalization;
using System.IO.Compression;
using System.Text;
using YoloDistill.Detector.Weights.Pickle;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Weights;

/// <summary>
/// Reads an Ultralytics YOLOv5 checkpoint (torch.save zip: &lt;prefix&gt;/data.pkl + &lt;prefix&gt;/data/&lt;key&gt; storages)
/// without Python: the pickle is read by the safe <see cref="Unpickler"/>, the pickled model is walked as inert
/// placeholders the way nn.Module.state_dict() would walk it, and fp16 storages become float32.
/// </summary>
public static class PtCheckpoint
{
    static readonly byte[] ZipMagic = "PK\u0003\u0004"u8.ToArray();
    // A pre-1.6 torch.save file starts with a pickled magic number (LONG1 0x1950a86a20f9469cfc6c).
    static readonly byte[] LegacyMagic = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
    const int MaxModuleDepth = 64;

    /// <summary>True when the first bytes look like a torch.save file (zip or legacy).</summary>
    public static bool LooksLikeTorchFile(ReadOnlySpan<byte> head) =>
        head.StartsWith(ZipMagic) || head.StartsWith(LegacyMagic);

    /// <summary>The state dict (Ultralytics keys, floats as float32) and what the checkpoint says about the model.</summary>
    public static (Dictionary<string, Tensor> StateDict, WeightsMetadata Metadata) Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found.", path);
        var head = new byte[16];
        int got;
        using (var fs = File.OpenRead(path)) got = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (head.AsSpan(0, got).StartsWith(LegacyMagic))
            throw new InvalidDataException($"{path}: a legacy (PyTorch < 1.6, non-zip) checkpoint; re-save it with a recent torch.save to load it here.");
        if (!head.AsSpan(0, got).StartsWith(ZipMagic))
            throw new InvalidDataException($"{path}: not a PyTorch checkpoint (a .pt file is a zip archive; this file does not start with a zip header).");

        ZipArchive zip;
        try { zip = ZipFile.OpenRead(path); }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: corrupt or truncated PyTorch checkpoint (the zip archive cannot be read: {e.Message}).", e);
        }
        using (zip)
        {
            var pkl = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1).ToList();
            if (pkl.Count != 1)
                throw new InvalidDataException($"{path}: a zip archive but not a PyTorch checkpoint ({(pkl.Count == 0 ? "no <name>/data.pkl entry" : "several data.pkl entries")}).");
            var prefix = pkl[0].FullName[..^"data.pkl".Length];
            var byteorder = zip.GetEntry(prefix + "byteorder");
            if (byteorder != null && Encoding.ASCII.GetString(ReadEntry(byteorder, path)).Trim() != "little")
                throw new InvalidDataException($"{path}: checkpoint was saved on a big-endian machine; only little-endian storages are supported.");

            using var scope = NewDisposeScope();
            var storages = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            var unpickler = new Unpickler(path + "!" + pkl[0].FullName, pid => LoadStorage(pid, zip, prefix, storages, path));
            unpickler.Allow("torch._utils", "_rebuild_tensor_v2", a => RebuildTensor(a, path))
                     .Allow("torch._utils", "_rebuild_tensor", a => RebuildTensor(a, path))
                     .Allow("torch._utils", "_rebuild_parameter", a => a[0] as Tensor ?? throw Bad(path, "_rebuild_parameter without a tensor"))
                     .Allow("torch._utils", "_rebuild_parameter_with_state", a => a[0] as Tensor ?? throw Bad(path, "_rebuild_parameter without a tensor"));
            var root = unpickler.Load(ReadEntry(pkl[0], path));

            var model = FindModel(root, path);
            var sd = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            CollectStateDict(model, "", sd, 0, path);
            var meta = ReadMetadata(root, model, path);

            var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (k, t) in sd)
            {
                var dtype = t.is_floating_point() ? ScalarType.Float32 : t.dtype;
                var copy = empty(t.shape, dtype);
                copy.copy_(t);
                result[k] = scope.MoveToOuter(copy);
            }
            return (result, meta);
        }
    }

    static object LoadStorage(object? pid, ZipArchive zip, string prefix, Dictionary<string, Tensor> cache, string path)
    {
        if (pid is not object?[] { Length: >= 5 } t || t[0] is not "storage" || t[1] is not PickleGlobal type || t[2] is not string key || t[4] is not long numel)
            throw Bad(path, "unrecognised persistent id (expected ('storage', type, key, location, numel))");
        if (cache.TryGetValue(key, out var cached)) return new StorageRef(cached);
        var dtype = StorageDType(type, path);
        var entry = zip.GetEntry(prefix + "data/" + key)
                    ?? throw Bad(path, $"storage '{key}' is referenced by the pickle but missing from the archive (truncated?)");
        long bytes = numel * ElementSize(dtype);
        if (entry.Length < bytes) throw Bad(path, $"storage '{key}' holds {entry.Length} bytes, {bytes} expected (truncated?)");
        var data = ReadEntry(entry, path);
        var flat = empty([numel], dtype);
        if (bytes > 0) flat.bytes = data.AsSpan(0, (int)bytes);
        cache[key] = flat;
        return new StorageRef(flat);
    }

    sealed record StorageRef(Tensor Flat);

    static Tensor RebuildTensor(object?[] a, string path)
    {
        if (a.Length < 4 || a[0] is not StorageRef s || a[1] is not long offset)
            throw Bad(path, "tensor rebuild with unexpected arguments");
        var size = Longs(a[2], path);
        var stride = Longs(a[3], path);
        if (size.Length != stride.Length) throw Bad(path, "tensor size and stride differ in length");
        long last = offset;
        bool empty = false;
        for (int i = 0; i < size.Length; i++)
        {
            if (size[i] < 0 || stride[i] < 0) throw Bad(path, "negative tensor size or stride");
            if (size[i] == 0) empty = true;
            else last += (size[i] - 1) * stride[i];
        }
        if (!empty && (offset < 0 || last >= s.Flat.shape[0]))
            throw Bad(path, $"tensor of size ({string.Join(",", size)}) reaches past its storage of {s.Flat.shape[0]} elements");
        return s.Flat.as_strided(size, stride, offset);
    }

    static long[] Longs(object? v, string path) => v is object?[] t && t.All(x => x is long)
        ? t.Select(x => (long)x!).ToArray()
        : throw Bad(path, "tensor size/stride is not a tuple of integers");

    /// <summary>Ultralytics' attempt_load: ckpt.get('ema') or ckpt['model'].</summary>
    static PickleObject FindModel(object? root, string path)
    {
        object? model = root switch
        {
            PickleDict d => d.GetValueOrDefault("ema") ?? d.GetValueOrDefault("model"),
            PickleObject o => o,
            _ => null,
        };
        if (model is not PickleObject m)
        {
            var keys = root is PickleDict rd ? string.Join(", ", rd.Keys.Take(8)) : Describe(root);
            throw new InvalidDataException($"{path}: not a YOLOv5 detection checkpoint (no pickled model under 'ema' or 'model'; found {keys}).");
        }
        if (m.Module.StartsWith("ultralytics", StringComparison.Ordinal))
            throw new InvalidDataException($"{path}: a checkpoint of the 'ultralytics' package ({m.Type.FullName}, YOLOv8 and later), not a YOLOv5 detection model.");
        if (m.Module != "models.yolo" || m.Name is not ("Model" or "DetectionModel"))
            throw new InvalidDataException($"{path}: not a YOLOv5 detection model (the checkpoint holds a {m.Type.FullName}).");
        var head = Child(m, "model", path) is PickleObject seq ? LastChild(seq) : null;
        if (head is null || head.Module != "models.yolo" || head.Name != "Detect")
            throw new InvalidDataException($"{path}: not a YOLOv5 detection model (its last layer is {(head is null ? "missing" : head.Type.FullName)}, not models.yolo.Detect).");
        return m;
    }

    static object? Child(PickleObject module, string name, string path) =>
        Attr(module, "_modules", path) is PickleDict ms ? ms.GetValueOrDefault(name) : null;

    static PickleObject? LastChild(PickleObject module) =>
        module.Attributes?.GetValueOrDefault("_modules") is PickleDict ms && ms.Count > 0 ? ms[ms.Keys.Last()] as PickleObject : null;

    static object? Attr(PickleObject module, string name, string path) =>
        (module.Attributes ?? throw Bad(path, $"{module.Type.FullName} has no pickled attributes")).GetValueOrDefault(name);

    /// <summary>Mirrors nn.Module.state_dict(): own parameters, persistent buffers, then children, depth first.</summary>
    static void CollectStateDict(PickleObject module, string prefix, Dictionary<string, Tensor> into, int depth, string path)
    {
        if (depth > MaxModuleDepth) throw Bad(path, "module tree too deep (cyclic?)");
        var nonPersistent = Attr(module, "_non_persistent_buffers_set", path) as HashSet<object>;
        foreach (var (group, skip) in new[] { ("_parameters", (HashSet<object>?)null), ("_buffers", nonPersistent) })
        {
            if (Attr(module, group, path) is not PickleDict items) continue;
            foreach (var (k, v) in items)
            {
                if (v is null || skip?.Contains(k) == true) continue;
                into[prefix + k] = v as Tensor ?? throw Bad(path, $"{prefix}{k} in {group} is not a tensor ({Describe(v)})");
            }
        }
        if (Attr(module, "_modules", path) is not PickleDict children) return;
        foreach (var (k, v) in children)
        {
            if (v is null) continue;
            var child = v as PickleObject ?? throw Bad(path, $"submodule {prefix}{k} is not a module ({Describe(v)})");
            CollectStateDict(child, $"{prefix}{k}.", into, depth + 1, path);
        }
    }

    static WeightsMetadata ReadMetadata(object? root, PickleObject model, string path)
    {
        var detect = LastChild((PickleObject)Child(model, "model", path)!)!;
        var attrs = model.Attributes!;
        var dattrs = detect.Attributes!;

        int? nc = dattrs.GetValueOrDefault("nc") is long n ? (int)n
                : (attrs.GetValueOrDefault("yaml") as PickleDict)?.GetValueOrDefault("nc") is long yn ? (int)yn : null;
        string[]? names = attrs.GetValueOrDefault("names") switch
        {
            List<object?> l => l.Select(x => x?.ToString() ?? "").ToArray(),
            PickleDict d => d.OrderBy(kv => kv.Key is long i ? i : long.MaxValue).Select(kv => kv.Value?.ToString() ?? "").ToArray(),
            _ => null,
        };
        var strideT = dattrs.GetValueOrDefault("stride") as Tensor ?? attrs.GetValueOrDefault("stride") as Tensor;
        float[]? strides = strideT is null ? null : strideT.to(ScalarType.Float32).data<float>().ToArray();

        float[][]? anchorsPx = null;
        var anchors = (dattrs.GetValueOrDefault("_buffers") as PickleDict)?.GetValueOrDefault("anchors") as Tensor;
        if (anchors is not null && strides is not null && anchors.dim() == 3 && anchors.shape[0] == strides.Length)
        {
            using var px = anchors.to(ScalarType.Float32) * tensor(strides).view(-1, 1, 1);
            anchorsPx = Enumerable.Range(0, strides.Length).Select(i => px[i].flatten().data<float>().ToArray()).ToArray();
        }

        var extra = new Dictionary<string, string>();
        if (root is PickleDict ck)
            foreach (var key in new[] { "epoch", "date", "best_fitness" })
                if (ck.GetValueOrDefault(key) is { } v and (long or double or string))
                    extra[key] = Convert.ToString(v, CultureInfo.InvariantCulture)!;
        extra["model_class"] = model.Type.FullName;
        extra["weights_from"] = root is PickleDict r && r.GetValueOrDefault("ema") is PickleObject ? "ema" : "model";
        return new WeightsMetadata { Nc = nc, Names = names, Strides = strides, AnchorsPx = anchorsPx, Extra = extra };
    }

    static ScalarType StorageDType(PickleGlobal type, string path) => (type.Module, type.Name) switch
    {
        ("torch", "HalfStorage") => ScalarType.Float16,
        ("torch", "FloatStorage") => ScalarType.Float32,
        ("torch", "DoubleStorage") => ScalarType.Float64,
        ("torch", "BFloat16Storage") => ScalarType.BFloat16,
        ("torch", "LongStorage") => ScalarType.Int64,
        ("torch", "IntStorage") => ScalarType.Int32,
        ("torch", "ShortStorage") => ScalarType.Int16,
        ("torch", "CharStorage") => ScalarType.Int8,
        ("torch", "ByteStorage") => ScalarType.Byte,
        ("torch", "BoolStorage") => ScalarType.Bool,
        _ => throw Bad(path, $"unsupported storage type {type.FullName}"),
    };

    static long ElementSize(ScalarType t) => t switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };

    static byte[] ReadEntry(ZipArchiveEntry entry, string path)
    {
        if (entry.Length > int.MaxValue) throw Bad(path, $"{entry.FullName} is larger than 2 GB");
        try
        {
            var buf = new byte[entry.Length];
            using var s = entry.Open();
            s.ReadExactly(buf);
            return buf;
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            throw new InvalidDataException($"{path}: cannot read {entry.FullName} (truncated or corrupt: {e.Message}).", e);
        }
    }

    static string Describe(object? v) => v switch
    {
        null => "None",
        PickleObject o => o.ToString(),
        PickleDict => "a dict",
        _ => v.GetType().Name,
    };

    static InvalidDataException Bad(string path, string what) => new($"{path}: {what}.");
}
