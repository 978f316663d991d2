using YoloDistill.Detector.Common;
using YoloDistill.Detector.Export;
using YoloDistill.Detector.Inference;
using YoloDistill.Detector.Weights;

namespace YoloDistill.Distill.Cli;

/// <summary>Opens the backend detect and bench ask for: torch from weights, or ONNX from an .onnx file or from weights exported on the fly.</summary>
public static class BackendFactory
{
    public static IDetectorBackend Open(string weights, string backend, int img, string? device, string workDir, bool dynamicOnnx = false, int threads = 0)
    {
        bool isOnnx = weights.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);
        switch (backend)
        {
            case "torch" when isOnnx:
                throw new ArgumentException($"{weights}: an ONNX model runs with --backend onnx, not torch.");
            case "torch":
                return TorchBackend.Load(weights, DeviceSelector.Parse(device));
            case "onnx" when isOnnx:
                return new OnnxBackend(weights, threads);
            case "onnx":
                Directory.CreateDirectory(workDir);
                var path = Path.Combine(workDir, Path.GetFileNameWithoutExtension(weights) + (dynamicOnnx ? "_dynamic" : $"_{img}") + ".onnx");
                using (var w = WeightsFile.Load(weights))
                    OnnxExporter.Export(path, w.StateDict, w.Config, new OnnxExportOptions { ImgSize = img, Dynamic = dynamicOnnx });
                return new OnnxBackend(path, threads);
            default:
                throw new ArgumentException($"--backend {backend}: expected torch or onnx.");
        }
    }
}
