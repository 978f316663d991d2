using System.Runtime.InteropServices;
using Google.Protobuf;
using TorchSharp;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Export;

/// <summary>
/// Builds an ONNX graph node by node: unique value names, initializers from tensors or literals, graph inputs
/// and outputs with fixed or symbolic dimensions. Floating-point initializers are stored in <see cref="FloatType"/>
/// (float32, or float16 for half-precision exports).
/// </summary>
internal sealed class OnnxGraphBuilder(string graphName, OnnxDataType floatType = OnnxDataType.Float)
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
        // raw is a fresh array that nothing else holds, so the tensor may keep it rather than a copy (weights are large).
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = UnsafeByteOperations.UnsafeWrap(raw) };
        t.Dims.Add(dims);
        _graph.Initializer.Add(t);
        return name;
    }

    /// <summary>Adds a node with one output and returns the output's name.</summary>
    public string Node(string opType, string[] inputs, string outputHint, params AttributeProto[] attributes) =>
        NodeN(opType, inputs, [outputHint], attributes)[0];

    /// <summary>Adds a node with several outputs and returns their names.</summary>
    public string[] NodeN(string opType, string[] inputs, string[] outputHints, params AttributeProto[] attributes)
    {
        var outputs = outputHints.Select(UniqueName).ToArray();
        // Optional inputs left out are named "" and stay in the list to keep the later inputs' positions.
        var node = new NodeProto { OpType = opType, Name = UniqueName($"/{opType}_{_graph.Node.Count}") };
        node.Input.Add(inputs);
        node.Output.Add(outputs);
        node.Attribute.Add(attributes);
        _graph.Node.Add(node);
        return outputs;
    }

    /// <summary>Declares a graph input; each dimension is a long (fixed) or a string (symbolic).</summary>
    public string Input(string name, OnnxDataType type, params object[] dims)
    {
        _names.Add(name);
        _graph.Input.Add(ValueInfo(name, type, dims));
        return name;
    }

    /// <summary>Declares a graph output; each dimension is a long (fixed) or a string (symbolic).</summary>
    public void Output(string name, OnnxDataType type, params object[] dims) => _graph.Output.Add(ValueInfo(name, type, dims));

    static ValueInfoProto ValueInfo(string name, OnnxDataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(dims.Select(d => d switch
        {
            string s => new TensorShapeProto.Types.Dimension { DimParam = s },
            int i => new TensorShapeProto.Types.Dimension { DimValue = i },
            long l => new TensorShapeProto.Types.Dimension { DimValue = l },
            _ => throw new ArgumentException($"Dimension {d} must be a number or a symbolic name."),
        }));
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    /// <summary>The finished model at the given default-domain opset, with string metadata.</summary>
    public ModelProto Build(int opset, IEnumerable<KeyValuePair<string, string>>? metadata = null, string docString = "")
    {
        var model = new ModelProto
        {
            IrVersion = opset >= 15 ? 8 : 7,
            ProducerName = "yolo-distill",
            Graph = _graph,
            // An opset without a domain is the default (ai.onnx) one.
            OpsetImport = { new OperatorSetIdProto { Version = opset } },
        };
        // proto2 writes every field that was set, even to "": an empty doc string is left unset instead.
        if (docString.Length > 0) model.DocString = docString;
        model.MetadataProps.Add((metadata ?? []).Select(kv => new StringStringEntryProto { Key = kv.Key, Value = kv.Value }));
        return model;
    }
}
