namespace YoloDistill.Detector.Common;

/// <summary>
/// Training hyperparameters with Ultralytics' data/hyps/hyp.scratch-low.yaml as defaults.
/// Loss gains are the yaml values; <see cref="ScaledForModel"/> applies train.py's scaling.
/// </summary>
public sealed record Hyp
{
    public double Lr0 { get; init; } = 0.01;            // initial learning rate (SGD=1E-2, Adam=1E-3)
    public double Lrf { get; init; } = 0.01;            // final OneCycleLR learning rate (lr0 * lrf)
    public double Momentum { get; init; } = 0.937;      // SGD momentum/Adam beta1
    public double WeightDecay { get; init; } = 0.0005;  // optimizer weight decay 5e-4
    public double WarmupEpochs { get; init; } = 3.0;
    public double WarmupMomentum { get; init; } = 0.8;
    public double WarmupBiasLr { get; init; } = 0.1;
    public double Box { get; init; } = 0.05;            // box loss gain
    public double Cls { get; init; } = 0.5;             // cls loss gain
    public double ClsPw { get; init; } = 1.0;           // cls BCELoss positive_weight
    public double Obj { get; init; } = 1.0;             // obj loss gain (scale with pixels)
    public double ObjPw { get; init; } = 1.0;           // obj BCELoss positive_weight
    public double IouT { get; init; } = 0.20;           // IoU training threshold (unused by ComputeLoss, kept for yaml parity)
    public double AnchorT { get; init; } = 4.0;         // anchor-multiple threshold
    public double FlGamma { get; init; } = 0.0;         // focal loss gamma (efficientDet default gamma=1.5)
    public double HsvH { get; init; } = 0.015;
    public double HsvS { get; init; } = 0.7;
    public double HsvV { get; init; } = 0.4;
    public double Degrees { get; init; } = 0.0;
    public double Translate { get; init; } = 0.1;
    public double Scale { get; init; } = 0.5;
    public double Shear { get; init; } = 0.0;
    public double Perspective { get; init; } = 0.0;
    public double FlipUd { get; init; } = 0.0;
    public double FlipLr { get; init; } = 0.5;
    public double Mosaic { get; init; } = 1.0;
    public double Mixup { get; init; } = 0.0;
    public double CopyPaste { get; init; } = 0.0;
    // Last, as train.py appends it to the hyp dict (hyp.yaml keeps this order).
    public double LabelSmoothing { get; init; } = 0.0;

    /// <summary>train.py: box *= 3/nl; cls *= nc/80 * 3/nl; obj *= (imgsz/640)^2 * 3/nl.</summary>
    public Hyp ScaledForModel(int numLevels, int nc, int imgSize)
    {
        double l = 3.0 / numLevels;
        return this with
        {
            Box = Box * l,
            Cls = Cls * nc / 80.0 * l,
            Obj = Obj * Math.Pow(imgSize / 640.0, 2) * l,
        };
    }
}
