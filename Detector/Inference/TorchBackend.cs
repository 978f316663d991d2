using TorchSharp;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Weights;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Inference;

/// <summary>Runs a YoloModel in TorchSharp as detect.py does: Conv+BN fused, eval mode, no gradients.</summary>
public sealed class TorchBackend : IDetectorBackend
{
    readonly YoloModel _model;
    readonly Device _device;
    // One module instance is shared by whoever holds this backend (several detectors, test fixtures): forwards run one at a time.
    readonly object _gate = new();

    public string Name => "torch";
    public IReadOnlyList<string> Names => _model.Config.Names;
    public int MaxStride => _model.Config.Strides.Max();
    public int? FixedImgSize => null;
    public ModelConfig Config => _model.Config;

    /// <summary>Takes ownership of <paramref name="model"/>; fuses it unless <paramref name="fuse"/> is false.</summary>
    public TorchBackend(YoloModel model, Device? device = null, bool fuse = true)
    {
        _device = device ?? CPU;
        _model = model;
        _model.eval();
        if (fuse && !_model.IsFused) _model.Fuse();
        _model.to(_device);
    }

    /// <summary>Builds the model a weights file describes (.ckpt, .pt or .safetensors) and loads its weights.</summary>
    public static TorchBackend Load(string weightsPath, Device? device = null, bool fuse = true) =>
        new(ModelLoader.Load(weightsPath), device, fuse);

    public Tensor Forward(Tensor images)
    {
        lock (_gate) return ForwardUnlocked(images);
    }

    Tensor ForwardUnlocked(Tensor images)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var output = _model.forward(images.to(ScalarType.Float32, _device));
        var decoded = output.Decoded ?? throw new InvalidOperationException("The model returned no decoded predictions in eval mode.");
        return scope.MoveToOuter(decoded.device_type == DeviceType.CPU ? decoded : decoded.cpu());
    }

    public void Dispose() => _model.Dispose();
}
