using YoloDistill.Detector.Model;

namespace YoloDistill.Distill.Distillation;

/// <summary>Channels of the P3/P4/P5 neck outputs (model.17, .20, .23) of a YOLOv5 scale, as parse_model computes them.</summary>
public static class FeatureChannels
{
    static readonly int[] BaseChannels = [256, 512, 1024];

    public static long[] Of(ModelConfig cfg)
    {
        var gw = cfg.WidthMultiple;
        // parse_model: make_divisible(c2 * gw, 8) = ceil(c2 * gw / 8) * 8
        return BaseChannels.Take(cfg.NumLevels).Select(c => (long)(Math.Ceiling(c * gw / 8) * 8)).ToArray();
    }
}
