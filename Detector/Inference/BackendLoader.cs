using YoloDistill.Detector.Common;
using YoloDistill.Detector.Export;
using YoloDistill.Detector.Weights;

namespace YoloDistill.Detector.Inference;

/// <summary>
/// Opens the backend for a model file (the torch one through <see cref="Weights.ModelLoader"/>). The one path behind <see cref="YoloDetector.Load"/>, the CLI's detect
/// and its benchmarks: TorchSharp from weights, ONNX Runtime from an <c>.onnx</c> file or from weights exported first.
/// </summary>
public static class BackendLoader
{
    /// <summary>Input size of an on-the-fly ONNX export when none is asked for (detect.py's default).</summary>
    public const int DefaultImageSize = 640;

    /// <summary>Reads a backend name as the command line spells it: <c>torch</c>, <c>onnx</c>, or <c>auto</c> / null.</summary>
    public static InferenceBackend ParseBackend(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => InferenceBackend.Auto,
        "torch" => InferenceBackend.Torch,
        "onnx" => InferenceBackend.Onnx,
        _ => throw new ArgumentException($"--backend {name}: expected torch or onnx."),
    };

    /// <summary>The backend <see cref="InferenceBackend.Auto"/> stands for with this file.</summary>
    public static InferenceBackend Resolve(string path, InferenceBackend backend) =>
        backend != InferenceBackend.Auto ? backend : IsOnnx(path) ? InferenceBackend.Onnx : InferenceBackend.Torch;

    /// <summary>
    /// Loads <paramref name="path"/> (<c>.onnx</c>, <c>.ckpt</c>, <c>.pt</c> or <c>.safetensors</c>) for <paramref name="backend"/>.
    /// For the ONNX backend, weights are exported at <paramref name="imageSize"/> (static shape, or symbolic with
    /// <paramref name="dynamicOnnx"/>) into <paramref name="exportDirectory"/>, or into a temporary folder removed after loading.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist (the message names it).</exception>
    /// <exception cref="InvalidDataException">The file is not a model this project can read.</exception>
    /// <exception cref="ArgumentException">An ONNX file asked to run with TorchSharp, or a bad device.</exception>
    public static IDetectorBackend Open(string path, InferenceBackend backend = InferenceBackend.Auto, int? imageSize = null,
        string? device = null, int threads = 0, string? exportDirectory = null, bool dynamicOnnx = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: model file not found (expected .onnx, .ckpt, .pt or .safetensors).", path);
        bool isOnnx = IsOnnx(path);
        switch (Resolve(path, backend))
        {
            case InferenceBackend.Torch when isOnnx:
                throw new ArgumentException($"{path}: an ONNX model runs with the onnx backend, not torch.");
            case InferenceBackend.Torch:
                return TorchBackend.Load(path, DeviceSelector.Parse(device));
            case InferenceBackend.Onnx when isOnnx:
                return new OnnxBackend(path, threads);
            default:
                return ExportAndOpen(path, imageSize ?? DefaultImageSize, threads, exportDirectory, dynamicOnnx);
        }
    }

    static IDetectorBackend ExportAndOpen(string weights, int imageSize, int threads, string? exportDirectory, bool dynamicOnnx)
    {
        // ONNX Runtime reads the whole model when the session is made, so a temporary export can go right after.
        var dir = exportDirectory ?? Directory.CreateTempSubdirectory("yolo-distill-onnx").FullName;
        try
        {
            Directory.CreateDirectory(dir);
            var onnx = Path.Combine(dir, Path.GetFileNameWithoutExtension(weights) + (dynamicOnnx ? "_dynamic" : $"_{imageSize}") + ".onnx");
            using (var w = WeightsFile.Load(weights))
                OnnxExporter.Export(onnx, w.StateDict, w.Config, new OnnxExportOptions { ImgSize = imageSize, Dynamic = dynamicOnnx });
            return new OnnxBackend(onnx, threads);
        }
        finally
        {
            if (exportDirectory is null && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    static bool IsOnnx(string path) => path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);
}
