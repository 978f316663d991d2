using YoloDistill.Detector.Export;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Weights;

namespace YoloDistill.Detector.Training;

/// <summary>
/// Turns a weights file (Ultralytics .pt, a .safetensors state dict, or a training checkpoint) into an ONNX model, an
/// Ultralytics-keyed .safetensors (fp32 or fp16, with nc, names, stride and anchors), or the TorchSharp form: a stripped
/// project checkpoint (.ckpt) holding the detector alone (no teacher, adapters, raw weights or optimizer), fp32,
/// validated by a strict load into YoloModel and carrying its configuration, so val and detect load it like any checkpoint.
/// It lives in Training, not Export, because that last form is a training checkpoint (<see cref="Checkpoint"/>).
/// </summary>
public static class ModelExporter
{
    public const string TorchSharpExtension = ".ckpt";

    public static ExportResult Export(ExportRequest r)
    {
        using var w = WeightsFile.Load(r.Weights);
        var path = r.Out ?? DefaultPath(r);
        switch (r.Format)
        {
            case ExportFormat.Onnx:
                var proto = OnnxExporter.Build(w.StateDict, w.Config,
                    new OnnxExportOptions { ImgSize = r.ImgSize, Half = r.Half, Dynamic = r.Dynamic, Opset = r.Opset });
                proto.Save(path);
                return new ExportResult(path, r.Format, new FileInfo(path).Length, w.Config, proto.Graph.Initializer.Count);
            case ExportFormat.SafeTensors:
                WeightsFile.SaveSafeTensors(path, w.StateDict, w.Config, r.Half);
                return new ExportResult(path, r.Format, new FileInfo(path).Length, w.Config, w.StateDict.Count);
            case ExportFormat.TorchSharp:
                if (r.Half) throw new ArgumentException("--half applies to onnx and safetensors exports; the TorchSharp form is stored fp32 for training and validation.");
                using (var model = new YoloModel(w.Config))
                {
                    // Only the detector's own keys pass: anything else in the file (teacher, adapters) is left out.
                    var own = model.state_dict().Keys.ToHashSet(StringComparer.Ordinal);
                    var student = w.StateDict.Where(kv => own.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
                    model.LoadStateDictStrict(student, r.Weights);
                    using var data = new CheckpointData
                    {
                        Config = w.Config,
                        Ema = CheckpointData.Snapshot(model),
                        Metadata = { ["exported_from"] = Path.GetFullPath(r.Weights), ["source_format"] = w.Format, ["content"] = "detector only" },
                    };
                    Checkpoint.Save(path, data);
                    return new ExportResult(path, r.Format, new FileInfo(path).Length, w.Config, data.Ema.Count);
                }
            default:
                throw new ArgumentException($"Unknown export format {r.Format}.");
        }
    }

    /// <summary>Next to the weights: yolov5n.onnx, yolov5n.safetensors (yolov5n_fp16 when half), yolov5n.ckpt.</summary>
    public static string DefaultPath(ExportRequest r)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(r.Weights))!;
        var stem = Path.GetFileName(r.Weights);
        foreach (var ext in new[] { ".ckpt", ".safetensors", ".pt", ".onnx" })
            if (stem.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) { stem = stem[..^ext.Length]; break; }
        var name = r.Format switch
        {
            ExportFormat.Onnx => stem + (r.Half ? "_fp16" : "") + ".onnx",
            ExportFormat.SafeTensors => stem + (r.Half ? "_fp16" : "") + ".safetensors",
            _ => stem + TorchSharpExtension,
        };
        var path = Path.Combine(dir, name);
        // Never overwrite the source: best.ckpt exported as torchsharp becomes best_student.ckpt.
        if (string.Equals(Path.GetFullPath(path), Path.GetFullPath(r.Weights), StringComparison.Ordinal))
            path = Path.Combine(dir, stem + (r.Format == ExportFormat.TorchSharp ? "_student" : "_export") + Path.GetExtension(name));
        return path;
    }
}
