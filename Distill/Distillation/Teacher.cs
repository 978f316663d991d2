using TorchSharp;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Weights;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Distillation;

/// <summary>
/// The frozen teacher: a YOLOv5 detector whose parameters never require gradients, kept in eval mode so its
/// BatchNorm layers use their running statistics, and run under no_grad on the same augmented batch as the student.
/// </summary>
public sealed class Teacher : IDisposable
{
    public YoloModel Model { get; }
    public ModelConfig Config => Model.Config;
    /// <summary>Where the weights came from (file path, or a description for a built model).</summary>
    public string Source { get; }

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
        using var w = WeightsFile.Load(path);
        var model = new YoloModel(w.Config);
        try
        {
            model.LoadStateDictStrict(w.StateDict, path);
            model.to(device);
            return new Teacher(model, path);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Raw outputs and neck features without a graph; the caller disposes the result.</summary>
    public YoloOutput Forward(Tensor images)
    {
        // Someone may have switched every module to training (e.g. a generic model.train() over a module tree):
        // the teacher must keep its running BN statistics and must never update them.
        if (Model.training) Model.eval();
        using var _ = no_grad();
        var output = Model.forward(images);
        // Eval mode also decodes boxes, which distillation never reads.
        output.Decoded?.Dispose();
        return new YoloOutput { Raw = output.Raw, Features = output.Features };
    }

    /// <summary>
    /// Refuses, before training starts, a teacher whose feature levels cannot be matched to the student's, and for KD
    /// one with other classes or anchors.
    /// </summary>
    public void CheckCompatible(ModelConfig student, DistillMethod method)
    {
        if (Config.NumLevels != student.NumLevels || !Config.Strides.SequenceEqual(student.Strides))
            throw new ArgumentException($"Teacher {Source} ({Config.ModelName}) has strides {string.Join(",", Config.Strides)} " +
                                        $"and the student ({student.ModelName}) {string.Join(",", student.Strides)}: distillation needs the same feature levels.");
        if (method.HasFlag(DistillMethod.Kd))
        {
            try { KdLoss.CheckCompatible(Config, student); }
            catch (ArgumentException e) { throw new ArgumentException($"Teacher {Source}: {e.Message}", e); }
        }
    }

    public void Dispose() => Model.Dispose();
}
