using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Export;

/// <summary>
/// Builds an ONNX graph node by node: unique value names, initializers from tensors or literals, graph inputs
/// and outputs with fixed or symbolic dimensions. Floating-point initializers are stored in <see cref="FloatType"/>
/// (float32, or float16 for half-precision exports).
/// </summary>
public sealed class OnnxGraphBuilder(string graphName, OnnxDataType floatType = OnnxDataType.Float)
{
    readonly GraphProto _graph = new() { Name = graphName };
    readonly HashSet<string> _names = new(StringComparer.Ordinal);
    readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);

    public OnnxDataType FloatType { get; } = floatType;
    public GraphProto Graph => _graph;

    /// <summary>A value name not used yet, derived from <paramref name="hint"/>.</summary>
    public string UniqueName(string hint)
    {
        if (_names.Add(hint)) return hint;
        int n = _counters.GetValueOrDefault(hint);
        string name;
        do name = $"{hint}_{++n}"; while (!_names.Add(name));
        _counters[hint] = n;
        return name;
    }

    /// <summary>A floating-point initializer from a tensor, converted to <see cref="FloatType"/>.</summary>
    public string Initializer(string hint, Tensor t)
    {
        using var c = t.detach().cpu().to_type(FloatType == OnnxDataType.Float16 ? ScalarType.Float16 : ScalarType.Float32).contiguous();
        return AddInitializer(hint, FloatType, c.shape, c.bytes.ToArray());
    }

    /// <summary>A floating-point initializer from literal values, in <see cref="FloatType"/>.</summary>
    public string Floats(string hint, float[] values, params long[] dims)
    {
        using var t = tensor(values).reshape(dims.Length == 0 ? [values.Length] : dims);
        return Initializer(hint, t);
    }

    /// <summary>A float32 initializer whatever <see cref="FloatType"/> is (operators such as Resize's scales require it).</summary>
    public string Float32s(string hint, float[] values) =>
        AddInitializer(hint, OnnxDataType.Float, [values.Length], MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    /// <summary>A 1-D int64 initializer (shapes, axes, split sizes).</summary>
    public string Int64s(string hint, params long[] values) =>
        AddInitializer(hint, OnnxDataType.Int64, [values.Length], MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    /// <summary>A 0-D int64 initializer (Range's start and delta are scalars).</summary>
    public string Int64Scalar(string hint, long value) =>
        AddInitializer(hint, OnnxDataType.Int64, [], BitConverter.GetBytes(value));

    string AddInitializer(string hint, OnnxDataType type, long[] dims, byte[] raw)
    {
        var name = UniqueName(hint);
        _graph.Initializers.Add(new TensorProto { Name = name, DataType = type, Dims = dims, RawData = raw });
        return name;
    }

    /// <summary>Adds a node with one output and returns the output's name.</summary>
    public string Node(string opType, string[] inputs, string outputHint, params AttributeProto[] attributes) =>
        NodeN(opType, inputs, [outputHint], attributes)[0];

    /// <summary>Adds a node with several outputs and returns their names.</summary>
    public string[] NodeN(string opType, string[] inputs, string[] outputHints, params AttributeProto[] attributes)
    {
        var outputs = outputHints.Select(UniqueName).ToArray();
        _graph.Nodes.Add(new NodeProto
        {
            OpType = opType,
            Name = UniqueName($"/{opType}_{_graph.Nodes.Count}"),
            Inputs = inputs,
            Outputs = outputs,
            Attributes = [.. attributes],
        });
        return outputs;
    }

    /// <summary>Declares a graph input; each dimension is a long (fixed) or a string (symbolic).</summary>
    public string Input(string name, OnnxDataType type, params object[] dims)
    {
        _names.Add(name);
        _graph.Inputs.Add(ValueInfo(name, type, dims));
        return name;
    }

    /// <summary>Declares a graph output; each dimension is a long (fixed) or a string (symbolic).</summary>
    public void Output(string name, OnnxDataType type, params object[] dims) => _graph.Outputs.Add(ValueInfo(name, type, dims));

    static ValueInfoProto ValueInfo(string name, OnnxDataType type, object[] dims) => new()
    {
        Name = name,
        Type = new TypeProto
        {
            TensorType = new TensorTypeProto
            {
                ElemType = type,
                Shape = new TensorShapeProto
                {
                    Dims = dims.Select(d => d switch
                    {
                        string s => DimensionProto.Symbolic(s),
                        int i => DimensionProto.Fixed(i),
                        long l => DimensionProto.Fixed(l),
                        _ => throw new ArgumentException($"Dimension {d} must be a number or a symbolic name."),
                    }).ToArray(),
                },
            },
        },
    };

    /// <summary>The finished model at the given default-domain opset, with string metadata.</summary>
    public ModelProto Build(int opset, IEnumerable<KeyValuePair<string, string>>? metadata = null, string docString = "") => new()
    {
        Graph = _graph,
        OpsetImport = [new OperatorSetIdProto { Domain = "", Version = opset }],
        MetadataProps = (metadata ?? []).Select(kv => new StringStringEntryProto { Key = kv.Key, Value = kv.Value }).ToList(),
        DocString = docString,
        IrVersion = opset >= 15 ? 8 : 7,
    };
}
