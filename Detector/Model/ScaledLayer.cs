namespace YoloDistill.Detector.Model;

/// <summary>
/// One row of <see cref="Architecture.Layers"/> resolved for a model as Ultralytics' parse_model resolves it: inputs as
/// absolute layer indices (<see cref="Architecture.ImageInput"/> for the image), repeats after the depth gain, channels
/// after the width gain. YoloModel builds its modules from these rows and the ONNX exporter writes its graph from them.
/// </summary>
/// <param name="Index">The row's position in the table, which is also its place in the state dict's `model` list.</param>
/// <param name="Spec">The row as the table writes it.</param>
/// <param name="From">Absolute indices of the layers it reads.</param>
/// <param name="Repeats">Its depth at this scale (C3's bottleneck count; 1 elsewhere).</param>
/// <param name="InChannels">Channels of each input, in <paramref name="From"/>'s order.</param>
/// <param name="OutChannels">The layer's output channels; for Detect, each level's (anchors x (5 + classes)).</param>
public sealed record ScaledLayer(int Index, LayerSpec Spec, int[] From, int Repeats, long[] InChannels, long OutChannels)
{
    public LayerKind Kind => Spec.Kind;

    /// <summary>The prefix of the layer's state-dict keys, Ultralytics' `model.{index}`.</summary>
    public string Key => $"model.{Index}";
}
