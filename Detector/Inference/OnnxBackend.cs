using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Inference;

/// <summary>
/// Runs an exported detector (`images` -> `output0`) with ONNX Runtime on the CPU. Class names and stride come
/// from the model's metadata (Ultralytics' `names` dict repr and `stride`); float16 models are fed and read in half.
/// </summary>
public sealed partial class OnnxBackend : IDetectorBackend
{
    readonly InferenceSession _session;
    readonly string _input, _output;
    readonly bool _half;

    public string Name => "onnx";
    public IReadOnlyList<string> Names { get; }
    public int MaxStride { get; }
    public int? FixedImgSize { get; }
    public int? FixedBatchSize { get; }

    public OnnxBackend(string path, int threads = 0)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: ONNX model not found.", path);
        var so = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (threads > 0) so.IntraOpNumThreads = threads;
        try { _session = new InferenceSession(path, so); }
        catch (OnnxRuntimeException e) { throw new InvalidDataException($"{path}: ONNX Runtime cannot load this model ({e.Message}).", e); }
        finally { so.Dispose(); }

        if (_session.InputMetadata.Count != 1 || _session.OutputMetadata.Count < 1)
            throw new InvalidDataException($"{path}: expected one image input and a detection output, found {_session.InputMetadata.Count} inputs.");
        var (inName, inMeta) = _session.InputMetadata.First();
        _input = inName;
        _output = _session.OutputMetadata.ContainsKey("output0") ? "output0" : _session.OutputMetadata.Keys.First();
        _half = inMeta.ElementDataType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float16;
        var dims = inMeta.Dimensions;
        FixedImgSize = dims.Length == 4 && dims[2] > 0 && dims[2] == dims[3] ? dims[2] : null;
        FixedBatchSize = dims.Length == 4 && dims[0] > 0 ? dims[0] : null;

        var meta = _session.ModelMetadata.CustomMetadataMap;
        MaxStride = meta.TryGetValue("stride", out var s) && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var st) ? st : 32;
        Names = meta.TryGetValue("names", out var n) ? ParseNames(n) : [];
        if (Names.Count == 0)
        {
            int nc = (int)_session.OutputMetadata[_output].Dimensions[^1] - 5;
            Names = Enumerable.Range(0, Math.Max(nc, 0)).Select(i => $"class{i}").ToArray();
        }
    }

    /// <summary>Parses Python's str() of {0: 'person', 1: 'bicycle', ...}.</summary>
    public static string[] ParseNames(string repr)
    {
        var pairs = NamesEntry().Matches(repr)
            .Select(m => (Index: int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), Name: Unescape(m.Groups[2].Value)))
            .OrderBy(p => p.Index).ToArray();
        return pairs.Select(p => p.Name).ToArray();
    }

    static string Unescape(string quoted) => Regex.Replace(quoted[1..^1], @"\\(.)", m => m.Groups[1].Value switch
    {
        "n" => "\n",
        "t" => "\t",
        var c => c,
    });

    [GeneratedRegex(@"(\d+)\s*:\s*('(?:[^'\\]|\\.)*'|""(?:[^""\\]|\\.)*"")")]
    private static partial Regex NamesEntry();

    public Tensor Forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        var x = images.detach().cpu().contiguous();
        var shape = x.shape;
        using var runOptions = new RunOptions();
        OrtValue input;
        if (_half)
        {
            using var h = x.to_type(ScalarType.Float16).contiguous();
            var data = MemoryMarshal.Cast<byte, Float16>(h.bytes).ToArray();
            input = OrtValue.CreateTensorValueFromMemory(data, shape);
        }
        else
        {
            using var f = x.to_type(ScalarType.Float32).contiguous();
            input = OrtValue.CreateTensorValueFromMemory(f.data<float>().ToArray(), shape);
        }
        using (input)
        using (var outputs = _session.Run(runOptions, [_input], [input], [_output]))
        {
            var o = outputs[0];
            var oshape = o.GetTensorTypeAndShape().Shape;
            Tensor result;
            if (_half)
            {
                var bytes = MemoryMarshal.AsBytes(o.GetTensorDataAsSpan<Float16>()).ToArray();
                var t = empty(oshape, ScalarType.Float16);
                t.bytes = bytes;
                result = t.to_type(ScalarType.Float32);
            }
            else result = tensor(o.GetTensorDataAsSpan<float>().ToArray(), oshape);
            return scope.MoveToOuter(result);
        }
    }

    public void Dispose() => _session.Dispose();
}
