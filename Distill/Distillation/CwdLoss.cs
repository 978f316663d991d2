using TorchSharp;
using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Distillation;

/// <summary>How CWD normalises the adapted student's and the teacher's features before the spatial softmax.</summary>
public enum CwdNorm
{
    /// <summary>
    /// Each channel standardised over batch and positions, as nn.BatchNorm2d(affine=False) does in training mode (batch
    /// statistics, biased variance, ε 1e-5), on the adapted student and on the teacher separately: DAMO-YOLO's
    /// FeatureLoss (distiller='cwd'), mmyolo's RTMDet distillation (BN affine=False, track_running_stats=False) and
    /// PaddleDetection's CWDFeatureLoss (normalize=True). The softmax then sees each channel's pattern at unit scale:
    /// the teacher's activations span very different ranges per channel and level, and the raw softmax over H·W of a
    /// wide channel is nearly one-hot.
    /// </summary>
    Bn,
    /// <summary>Raw features (the paper's segmentation setting, and this project's earlier form).</summary>
    None,
}

/// <summary>
/// Channel-wise distillation (Shu et al., ICCV 2021): each channel of a feature map is turned into a distribution
/// over its H·W positions by a softmax with temperature τ, and the student is pulled towards the teacher by
/// KL(teacher ‖ student) summed over positions, times τ². Normalisation as mmrazor's ChannelWiseDivergence:
/// the sum over channels, positions and images divided by N·C (images × channels) of that level; levels are summed
/// with one weight for all of them. By default both features are first standardised per channel (<see cref="CwdNorm.Bn"/>),
/// the form detectors use.
/// </summary>
public sealed class CwdLoss(LossSettings settings) : IDistillationLoss
{
    /// <summary>τ of the authors' detection configs (mmdetection-distiller, cwd_retina_*: tau=1.0), mmyolo's and DAMO-YOLO's.</summary>
    public const double DefaultTau = 1.0;
    /// <summary>
    /// Chosen from the gradient, not copied: mmyolo's RTMDet and DAMO-YOLO use weight 1 with the BN normalisation, but
    /// here (built-in shapes set, shipped teacher, pretrained yolov5n, a fresh 1x1 adapter) its gradient on the student
    /// at weight 1 was 31x the detection loss's on the first three batches (134 against 4.4) and 60-130x over
    /// iterations 10-40 of a distill run, where the detection gradient falls to about 1. At weight 0.01 it was
    /// 0.6-1.2x the detection gradient over those iterations, the size FGFI's working λ has (README, "Distillation
    /// benchmark"). The raw form at its earlier default 5 had 21x on the first batches.
    /// </summary>
    public const double DefaultWeight = 0.01;
    /// <summary>nn.BatchNorm2d's default ε.</summary>
    public const double BnEps = 1e-5;

    public static readonly LossSetting<double> Weight = Setting.Number("cwd-weight", "CWD loss weight", DefaultWeight, v => v < 0 ? "must be >= 0" : null);
    public static readonly LossSetting<double> Tau = Setting.Number("cwd-tau", "CWD softmax temperature", DefaultTau, v => v <= 0 ? "must be > 0" : null);
    public static readonly LossSetting<CwdNorm> Norm = Setting.Choice("cwd-norm",
        "CWD feature normalisation before the softmax: per-channel batch standardisation as BatchNorm2d(affine=False), or none", CwdNorm.Bn);

    public static readonly DistillLossKind Kind = new("cwd", "train/cwd_loss",
        "Channel-wise distillation of the neck features (Shu et al., ICCV 2021)", ComparesFeatures: true, [Weight, Tau, Norm], s => new CwdLoss(s))
    {
        // Checkpoints written before the setting existed: raw features, at the weight they record.
        Legacy = new LossSettings().With(Norm, CwdNorm.None),
        // DAMO-YOLO's and mmyolo's align layer: a 1x1 convolution with the usual init (its scale does not reach the
        // loss through the normalisation).
        AdapterDefaults = new LossSettings().With(Adapters.Kernel, AdapterKind.Conv1x1).With(Adapters.Init, AdapterInit.Default),
    };

    readonly double weight = settings.Get(Weight);
    readonly double tau = settings.Get(Tau);
    readonly CwdNorm norm = settings.Get(Norm);

    public string Name => Kind.Name;
    public double WeightAt(DistillProgress progress) => weight;
    public void CheckCompatible(ModelConfig teacher, ModelConfig student) { }
    public string Describe() => $"cwd: weight {Weight.Format(weight)}, tau {Tau.Format(tau)}, norm {Norm.Format(norm)}";

    public LossValue Compute(DistillStep step)
    {
        if (step.AdaptedStudent is null) throw new ArgumentException("CWD compares features: the step carries no adapted student features.");
        return new LossValue(Compute(step.AdaptedStudent, step.Teacher.Features, tau, norm));
    }

    /// <summary>Unweighted CWD summed over levels; student features must already have the teacher's channels.</summary>
    public static Tensor Compute(IReadOnlyList<Tensor> adaptedStudent, IReadOnlyList<Tensor> teacher, double tau = DefaultTau, CwdNorm norm = CwdNorm.Bn)
    {
        if (adaptedStudent.Count != teacher.Count || teacher.Count == 0)
            throw new ArgumentException($"CWD needs the same number of levels of student ({adaptedStudent.Count}) and teacher ({teacher.Count}) features.");
        if (tau <= 0) throw new ArgumentException($"CWD temperature must be positive; got {tau}.");
        using var scope = NewDisposeScope();
        Tensor? total = null;
        for (int i = 0; i < teacher.Count; i++)
        {
            var s = adaptedStudent[i];
            var t = teacher[i].detach();
            if (!s.shape.SequenceEqual(t.shape))
                throw new ArgumentException($"Level {i}: adapted student features ({string.Join("x", s.shape)}) and teacher features ({string.Join("x", t.shape)}) differ in shape.");
            if (norm == CwdNorm.Bn)
            {
                s = BatchStandardize(s);
                t = BatchStandardize(t);
            }
            long n = t.shape[0], c = t.shape[1];
            var tl = t.reshape(n * c, -1) / tau;
            var sl = s.reshape(n * c, -1) / tau;
            var logPt = tl.log_softmax(1);
            var logPs = sl.log_softmax(1);
            var kl = (logPt.exp() * (logPt - logPs)).sum() * (tau * tau) / (n * c);
            total = total is null ? kl : total + kl;
        }
        return scope.MoveToOuter(total!);
    }

    /// <summary>BatchNorm2d(affine=False) in training mode without running statistics: the batch's own mean and variance.</summary>
    static Tensor BatchStandardize(Tensor f) =>
        nn.functional.batch_norm(f, null, null, training: true, eps: BnEps);
}
