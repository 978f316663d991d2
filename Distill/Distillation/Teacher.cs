using TorchSharp;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Weights;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Distillation;

/// <summary>
/// The frozen teacher: a YOLOv5 detector whose parameters never require gradients, kept in eval mode so its
/// BatchNorm layers use their running statistics, and run under no_grad on the same augmented batch as the student.
/// </summary>
/// <remarks>
/// <see cref="Model"/> keeps the weights as loaded. The forward pass runs a copy with BatchNorm folded into the
/// convolutions (the same function in eval mode, 16% faster) in the number format of <see cref="ComputeType"/>;
/// its outputs come back as float32.
/// </remarks>
public sealed class Teacher : IDisposable
{
    public YoloModel Model { get; }
    public ModelConfig Config => Model.Config;
    /// <summary>Where the weights came from (file path, or a description for a built model).</summary>
    public string Source { get; }
    /// <summary>The tensor type the forward pass runs in (float32 until <see cref="UsePrecision"/> says otherwise).</summary>
    public ScalarType ComputeType { get; private set; } = ScalarType.Float32;
    YoloModel? runner;
    string? runnerDevice;

    public Teacher(YoloModel model, string source)
    {
        Model = model;
        Source = source;
        foreach (var p in model.parameters()) p.requires_grad = false;
        model.eval();
    }

    /// <summary>Loads a teacher from anything the weights code reads (.pt, .safetensors, a yolo-distill checkpoint).</summary>
    public static Teacher Load(string path, Device device)
    {
        return new Teacher(ModelLoader.Load(path, device), path);
    }

    /// <summary>Selects the number format of the forward pass on <paramref name="device"/> (Auto resolves there).</summary>
    public void UsePrecision(TeacherPrecision precision, Device device)
    {
        var type = TeacherPrecisionParser.Resolve(precision, device);
        if (type == ComputeType) return;
        ComputeType = type;
        runner?.Dispose();
        runner = null;
    }

    /// <summary>Raw outputs and neck features (float32) without a graph; the caller disposes the result.</summary>
    public YoloOutput Forward(Tensor images)
    {
        // Someone may have switched every module to training (e.g. a generic model.train() over a module tree):
        // the teacher must keep its running BN statistics and must never update them.
        if (Model.training) Model.eval();
        using var _ = no_grad();
        // Built before the scope opens: the copy lives as long as the teacher, not as long as one batch.
        var net = Runner(images.device);
        using var scope = NewDisposeScope();
        // Tensor.to returns the tensor itself when the type already matches, so float32 outputs are passed on as they are.
        var output = net.Run(ComputeType == ScalarType.Float32 ? images : images.to(ComputeType), decode: false);
        var raw = output.Raw;
        var features = output.Features;
        if (ComputeType != ScalarType.Float32)
        {
            raw = raw.Select(r => r.to(ScalarType.Float32)).ToArray();
            features = features.Select(f => f.to(ScalarType.Float32)).ToArray();
            output.Dispose();
        }
        foreach (var t in raw) scope.MoveToOuter(t);
        foreach (var t in features) scope.MoveToOuter(t);
        return new YoloOutput { Raw = raw, Features = features };
    }

    /// <summary>The fused copy in <see cref="ComputeType"/> on <paramref name="device"/>, built on first use.</summary>
    YoloModel Runner(Device device)
    {
        if (runner is not null && runnerDevice == device.ToString()) return runner;
        runner?.Dispose();
        var copy = new YoloModel(Config);
        try
        {
            copy.LoadStateDictStrict(Model.state_dict(), Source);
            copy.to(device);
            copy.eval();
            copy.Fuse();
            if (ComputeType != ScalarType.Float32) copy.to(ComputeType);
            foreach (var p in copy.parameters()) p.requires_grad = false;
        }
        catch
        {
            copy.Dispose();
            throw;
        }
        runner = copy;
        runnerDevice = device.ToString();
        return runner;
    }

    /// <summary>
    /// Refuses, before training starts, a teacher whose feature levels cannot be matched to the student's, and for KD
    /// one with other classes or anchors.
    /// </summary>
    public void CheckCompatible(ModelConfig student, DistillOptions options)
    {
        if (Config.NumLevels != student.NumLevels || !Config.Strides.SequenceEqual(student.Strides))
            throw new ArgumentException($"Teacher {Source} ({Config.ModelName}) has strides {string.Join(",", Config.Strides)} " +
                                        $"and the student ({student.ModelName}) {string.Join(",", student.Strides)}: distillation needs the same feature levels.");
        foreach (var loss in options.Losses.Select(k => k.Create(options.Effective)))
        {
            try { loss.CheckCompatible(Config, student); }
            catch (ArgumentException e) { throw new ArgumentException($"Teacher {Source}: {e.Message}", e); }
        }
    }

    public void Dispose()
    {
        runner?.Dispose();
        Model.Dispose();
    }
}
