using TorchSharp;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Distillation;

/// <summary>
/// Output distillation on the detection head: the student's objectness and class logits are pulled towards the
/// teacher's softened probabilities, BCE(σ(s/T), σ(t/T)) · T² (Hinton's T² keeps gradient magnitudes comparable
/// across temperatures), and every anchor-cell is weighted by the teacher's objectness σ(t_obj) so that the
/// teacher's confident detections dominate and its background noise does not:
/// L_kd = T² · Σ_levels Σ_cells w · (bce_obj + mean_c bce_cls) / Σ_levels Σ_cells w.
/// Box regressions are not distilled. Teacher and student must share nc, levels and anchors (the raw outputs are
/// compared cell by cell and anchor by anchor).
/// </summary>
public sealed class KdLoss(LossSettings settings) : IDistillationLoss
{
    public const double DefaultTemperature = 1.0;
    // 0.2, not 1: at weight 1 KD's gradient on the student was about 5x the detection gradient (15 against 3 in the
    // first epoch), every optimizer step was clipped, and with FGFI beside it the clip shrank every step to a third.
    // Over the benchmark's 3 seeds weight 0.2 gave kd 0.1161 against 0.1082 and fgfi+kd 0.1163 against 0.0841
    // (README, "Distillation benchmark").
    public const double DefaultWeight = 0.2;

    public static readonly LossSetting<double> Weight = Setting.Number("kd-weight", "KD loss weight", DefaultWeight, v => v < 0 ? "must be >= 0" : null);
    public static readonly LossSetting<double> Temperature = Setting.Number("kd-temperature", "KD temperature T", DefaultTemperature, v => v <= 0 ? "must be > 0" : null);

    public static readonly DistillLossKind Kind = new("kd", "train/kd_loss",
        "Output distillation: objectness and class logits towards the teacher's, weighted by its objectness", ComparesFeatures: false, [Weight, Temperature], s => new KdLoss(s))
    {
        // Runs whose checkpoint does not record the weight ran with the earlier default.
        Legacy = new LossSettings().With(Weight, 1.0),
    };

    readonly double weight = settings.Get(Weight);
    readonly double temperature = settings.Get(Temperature);

    public string Name => Kind.Name;
    public double WeightAt(DistillProgress progress) => weight;
    public string Describe() => $"kd: weight {Weight.Format(weight)}, T {Temperature.Format(temperature)}";
    void IDistillationLoss.CheckCompatible(Detector.Model.ModelConfig teacher, Detector.Model.ModelConfig student) => CheckCompatible(teacher, student);
    public LossValue Compute(DistillStep step) => new(Compute(step.Student.Raw, step.Teacher.Raw, temperature));

    /// <summary>Unweighted KD over the raw Detect outputs (bs, na, ny, nx, 5 + nc) of each level, before sigmoid.</summary>
    public static Tensor Compute(IReadOnlyList<Tensor> studentRaw, IReadOnlyList<Tensor> teacherRaw, double temperature = DefaultTemperature)
    {
        if (studentRaw.Count != teacherRaw.Count || teacherRaw.Count == 0)
            throw new ArgumentException($"KD needs the same number of detection levels in student ({studentRaw.Count}) and teacher ({teacherRaw.Count}).");
        if (temperature <= 0) throw new ArgumentException($"KD temperature must be positive; got {temperature}.");
        using var scope = NewDisposeScope();
        Tensor? weighted = null;
        Tensor? weights = null;
        for (int i = 0; i < teacherRaw.Count; i++)
        {
            var s = studentRaw[i];
            var t = teacherRaw[i].detach();
            if (!s.shape.SequenceEqual(t.shape))
                throw new ArgumentException($"Level {i}: student output ({string.Join("x", s.shape)}) and teacher output ({string.Join("x", t.shape)}) differ; KD needs the same number of classes, anchors and grid.");
            var sl = s[TensorIndex.Ellipsis, TensorIndex.Slice(4)] / temperature;
            var soft = (t[TensorIndex.Ellipsis, TensorIndex.Slice(4)] / temperature).sigmoid();
            var bce = nn.functional.binary_cross_entropy_with_logits(sl, soft, reduction: nn.Reduction.None);
            var perCell = bce[TensorIndex.Ellipsis, 0] + (s.shape[^1] > 5 ? bce[TensorIndex.Ellipsis, TensorIndex.Slice(1)].mean([-1]) : zeros_like(bce[TensorIndex.Ellipsis, 0]));
            var w = t[TensorIndex.Ellipsis, 4].sigmoid();
            var lw = (w * perCell).sum();
            weighted = weighted is null ? lw : weighted + lw;
            var ws = w.sum();
            weights = weights is null ? ws : weights + ws;
        }
        var loss = weighted! * (temperature * temperature) / weights!.clamp_min(1e-9);
        return scope.MoveToOuter(loss);
    }

    /// <summary>Clear error when the two detectors cannot be compared output by output.</summary>
    public static void CheckCompatible(Detector.Model.ModelConfig teacher, Detector.Model.ModelConfig student)
    {
        if (teacher.Nc != student.Nc)
            throw new ArgumentException($"KD needs the same classes: the teacher has nc={teacher.Nc}, the student nc={student.Nc}.");
        if (teacher.NumLevels != student.NumLevels || !teacher.Strides.SequenceEqual(student.Strides))
            throw new ArgumentException($"KD needs the same detection levels: teacher strides {string.Join(",", teacher.Strides)}, student strides {string.Join(",", student.Strides)}.");
        bool sameAnchors = teacher.AnchorsPx.Length == student.AnchorsPx.Length
            && teacher.AnchorsPx.Zip(student.AnchorsPx).All(p => p.First.Length == p.Second.Length
                && p.First.Zip(p.Second).All(q => Math.Abs(q.First - q.Second) < 1e-3));
        if (!sameAnchors)
            throw new ArgumentException("KD needs the same anchors in teacher and student (outputs are compared anchor by anchor); "
                + $"teacher {FormatAnchors(teacher)}, student {FormatAnchors(student)}.");
    }

    static string FormatAnchors(Detector.Model.ModelConfig c) =>
        string.Join(" / ", c.AnchorsPx.Select(r => string.Join(",", r.Select(v => v.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)))));
}
