using YoloDistill.Detector.Model;

namespace YoloDistill.Distill.Distillation;

/// <summary>Channels of the P3/P4/P5 neck outputs (model.17, .20, .23) of a YOLOv5 scale, as parse_model computes them.</summary>
public static class FeatureChannels
{
    public static long[] Of(ModelConfig cfg)
    {
        return Architecture.FeatureChannels(cfg).Take(cfg.NumLevels).ToArray();
    }
}
