using static TorchSharp.torch;

namespace YoloDistill.Detector.Model;

/// <summary>
/// Folding a BatchNorm2d into the bias-free convolution before it, as Ultralytics' fuse_conv_and_bn does: per output
/// channel, with std = sqrt(running_var + eps), weight' = weight * gamma / std and bias' = beta - gamma * running_mean / std.
/// The one statement of it: <see cref="Conv.Fuse"/> folds the TorchSharp model's layers with it, and the ONNX exporter
/// folds the state-dict tensors (Ultralytics keys) with it.
/// </summary>
public static class BatchNormFolding
{
    /// <summary>
    /// The folded weight (c2, c1/g, k, k) and bias (c2), computed in <paramref name="precision"/> on the inputs' device.
    /// The precision is the caller's because the two callers want different ones: the model folds in its own type, as
    /// Ultralytics does, so its fused outputs round like Ultralytics' fused model; the exporter folds in float64 and
    /// rounds once, to its initializer type (float32 or float16).
    /// </summary>
    public static (Tensor Weight, Tensor Bias) Fold(Tensor convWeight, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
        ScalarType precision, double eps = Architecture.BnEps)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var g = gamma.to_type(precision);
        var std = (runningVar.to_type(precision) + eps).sqrt();
        var weight = convWeight.to_type(precision) * (g / std).view(-1, 1, 1, 1);
        var bias = beta.to_type(precision) - g * runningMean.to_type(precision) / std;
        return (scope.MoveToOuter(weight), scope.MoveToOuter(bias));
    }
}
