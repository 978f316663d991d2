using TorchSharp;
using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Distillation;

/// <summary>
/// Channel-wise distillation (Shu et al., ICCV 2021): each channel of a feature map is turned into a distribution
/// over its H·W positions by a softmax with temperature τ, and the student is pulled towards the teacher by
/// KL(teacher ‖ student) summed over positions, times τ². Normalisation as mmrazor's ChannelWiseDivergence:
/// the sum over channels, positions and images divided by N·C (images × channels) of that level; levels are summed
/// with one weight for all of them.
/// </summary>
public sealed class CwdLoss(LossSettings settings) : IDistillationLoss
{
    /// <summary>τ of the authors' detection configs (mmdetection-distiller, cwd_retina_*: tau=1.0).</summary>
    public const double DefaultTau = 1.0;
    /// <summary>Loss weight of the authors' detection configs (mmdetection-distiller, cwd_retina_*: weight=5.0 per FPN level).</summary>
    public const double DefaultWeight = 5.0;

    public static readonly LossSetting<double> Weight = Setting.Number("cwd-weight", "CWD loss weight", DefaultWeight, v => v < 0 ? "must be >= 0" : null);
    public static readonly LossSetting<double> Tau = Setting.Number("cwd-tau", "CWD softmax temperature", DefaultTau, v => v <= 0 ? "must be > 0" : null);

    public static readonly DistillLossKind Kind = new("cwd", "train/cwd_loss",
        "Channel-wise distillation of the neck features (Shu et al., ICCV 2021)", ComparesFeatures: true, [Weight, Tau], s => new CwdLoss(s));

    readonly double weight = settings.Get(Weight);
    readonly double tau = settings.Get(Tau);

    public string Name => Kind.Name;
    public double WeightAt(DistillProgress progress) => weight;
    public void CheckCompatible(ModelConfig teacher, ModelConfig student) { }
    public string Describe() => $"cwd: weight {Weight.Format(weight)}, tau {Tau.Format(tau)}";

    public LossValue Compute(DistillStep step)
    {
        if (step.AdaptedStudent is null) throw new ArgumentException("CWD compares features: the step carries no adapted student features.");
        return new LossValue(Compute(step.AdaptedStudent, step.Teacher.Features, tau));
    }

    /// <summary>Unweighted CWD summed over levels; student features must already have the teacher's channels.</summary>
    public static Tensor Compute(IReadOnlyList<Tensor> adaptedStudent, IReadOnlyList<Tensor> teacher, double tau = DefaultTau)
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
}
