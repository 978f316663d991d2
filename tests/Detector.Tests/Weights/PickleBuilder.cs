using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace YoloDistill.Detector.Tests.Weights;

/// <summary>Hand-assembles pickle opcodes (protocol 2) and torch.save-style zips, to feed the reader crafted input.</summary>
sealed class PickleBuilder
{
    readonly List<byte> b = [0x80, 0x02];

    public PickleBuilder Op(byte op) { b.Add(op); return this; }
    public PickleBuilder Mark() => Op((byte)'(');
    public PickleBuilder Global(string module, string name) { b.Add((byte)'c'); b.AddRange(Encoding.ASCII.GetBytes($"{module}\n{name}\n")); return this; }
    public PickleBuilder Str(string s)
    {
        var u = Encoding.UTF8.GetBytes(s);
        b.Add((byte)'X');
        var len = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(len, u.Length);
        b.AddRange(len);
        b.AddRange(u);
        return this;
    }
    public PickleBuilder Int(int v)
    {
        b.Add((byte)'J');
        var x = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(x, v);
        b.AddRange(x);
        return this;
    }
    public PickleBuilder Float(double v)
    {
        b.Add((byte)'G');
        var x = new byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(x, v);
        b.AddRange(x);
        return this;
    }
    public PickleBuilder Put(byte i) { b.Add((byte)'q'); b.Add(i); return this; }
    public PickleBuilder Get(byte i) { b.Add((byte)'h'); b.Add(i); return this; }
    public PickleBuilder EmptyDict() => Op((byte)'}');
    public PickleBuilder EmptyList() => Op((byte)']');
    public PickleBuilder EmptyTuple() => Op((byte)')');
    public PickleBuilder Tuple() => Op((byte)'t');
    public PickleBuilder Tuple1() => Op(0x85);
    public PickleBuilder Reduce() => Op((byte)'R');
    public PickleBuilder NewObj() => Op(0x81);
    public PickleBuilder Build() => Op((byte)'b');
    public PickleBuilder SetItem() => Op((byte)'s');
    public PickleBuilder SetItems() => Op((byte)'u');
    public PickleBuilder Appends() => Op((byte)'e');
    public PickleBuilder None() => Op((byte)'N');
    public PickleBuilder False() => Op(0x89);
    public PickleBuilder PersId() => Op((byte)'Q');
    public PickleBuilder Stop() => Op((byte)'.');

    /// <summary>torch._utils._rebuild_tensor_v2 of a float32 storage 'key' holding numel values, as a 1-d tensor.</summary>
    public PickleBuilder FloatTensor(string key, int numel) => FloatTensor(key, [numel]);

    /// <summary>A contiguous float32 tensor of the given shape over the whole storage 'key'.</summary>
    public PickleBuilder FloatTensor(string key, int[] shape)
    {
        int numel = shape.Aggregate(1, (a, b) => a * b);
        Global("torch._utils", "_rebuild_tensor_v2").Mark();
        Mark().Str("storage").Global("torch", "FloatStorage").Str(key).Str("cpu").Int(numel).Tuple().PersId();
        Int(0).Mark();
        foreach (var d in shape) Int(d);
        Tuple().Mark();
        for (int i = 0; i < shape.Length; i++) Int(shape[(i + 1)..].Aggregate(1, (a, b) => a * b));
        Tuple().False();
        Global("collections", "OrderedDict").EmptyTuple().Reduce();
        return Tuple().Reduce();
    }

    /// <summary>
    /// A pickled nn.Module placeholder: NEWOBJ of module.name, then BUILD with _parameters, _buffers, _non_persistent_buffers_set,
    /// _modules (each written by the callbacks as key/value pairs between MARK and SETITEMS) and extra attributes.
    /// </summary>
    public PickleBuilder Module(string module, string name, Action<PickleBuilder>? parameters = null, Action<PickleBuilder>? buffers = null,
                                Action<PickleBuilder>? children = null, Action<PickleBuilder>? attributes = null, string[]? nonPersistent = null)
    {
        Global(module, name).EmptyTuple().NewObj().EmptyDict().Mark();
        Str("training").False();
        Str("_parameters"); OrderedDict(parameters);
        Str("_buffers"); OrderedDict(buffers);
        Str("_non_persistent_buffers_set").Global("builtins", "set").EmptyList().Mark();
        foreach (var n in nonPersistent ?? []) Str(n);
        Appends().Tuple1().Reduce();
        Str("_modules"); OrderedDict(children);
        attributes?.Invoke(this);
        return SetItems().Build();
    }

    PickleBuilder OrderedDict(Action<PickleBuilder>? items)
    {
        Global("collections", "OrderedDict").EmptyTuple().Reduce();
        if (items is null) return this;
        Mark();
        items(this);
        return SetItems();
    }

    public byte[] ToArray() => [.. b];

    /// <summary>A torch.save-like zip: archive/data.pkl, archive/data/&lt;key&gt; entries, archive/version.</summary>
    public static void WriteTorchZip(string path, byte[]? pickle, IReadOnlyDictionary<string, byte[]>? storages = null)
    {
        using var fs = File.Create(path);
        using var zip = new ZipArchive(fs, ZipArchiveMode.Create);
        if (pickle != null) Add(zip, "archive/data.pkl", pickle);
        foreach (var (k, v) in storages ?? new Dictionary<string, byte[]>()) Add(zip, "archive/data/" + k, v);
        Add(zip, "archive/version", "3\n"u8.ToArray());
    }

    static void Add(ZipArchive zip, string name, byte[] data)
    {
        using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
        s.Write(data);
    }
}
