using TorchSharp;
using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Weights;

/// <summary>
/// The one way to get a ready model from a weights file (.pt, .safetensors, a checkpoint, or a format registered with
/// <see cref="WeightsFile"/>): the network is built from the configuration the file records or the readers infer from
/// its tensors, every tensor is loaded strictly (a missing or misshapen one is an error naming the file), and the model
/// comes back in eval mode, unfused, on <c>device</c> (the CPU when none is given). A caller that trains it switches to
/// train mode itself; one that fuses does so before moving it, so fusing happens on the CPU as it always has.
/// </summary>
public static class ModelLoader
{
    /// <param name="path">The weights file.</param>
    /// <param name="device">Where the model ends up; null keeps it on the CPU.</param>
    /// <param name="modelHint">
    /// A model name the caller was given (yolov5n, yolov5s, ...). It is validated, but the file decides the architecture:
    /// when the hint names another scale, <paramref name="warn"/> hears that it was ignored.
    /// </param>
    /// <param name="warn">Receives notes for the user; the library itself never writes to the console.</param>
    public static YoloModel Load(string path, Device? device = null, string? modelHint = null, Action<string>? warn = null)
    {
        using var weights = WeightsFile.Load(path);
        if (modelHint is not null && IgnoredHint(weights.Config, modelHint, path) is { } note) warn?.Invoke(note);
        var model = new YoloModel(weights.Config);
        try
        {
            model.LoadStateDictStrict(weights.StateDict, path);
            if (device is not null) model.to(device);
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Null when <paramref name="hint"/> names the file's scale; otherwise why it does not apply.</summary>
    static string? IgnoredHint(ModelConfig fromFile, string hint, string path)
    {
        var asked = ModelConfig.FromName(hint, fromFile.Nc, fromFile.Names); // throws on an unknown name
        return asked.Scale == fromFile.Scale ? null : $"{hint} ignored: {path} holds a {fromFile.ModelName}";
    }
}
