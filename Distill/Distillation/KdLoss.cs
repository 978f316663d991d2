using TorchSharp;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Distillation;

/// <summary>What KD pulls the student's objectness towards.</summary>
public enum KdObjectness
{
    /// <summary>
    /// The detection loss's own objectness target with the teacher's confident boxes standing in for the objects:
    /// max(CIoU(student box, teacher box), 0) where σ(t_obj) ≥ the threshold, 0 elsewhere (the teacher sees no object
    /// there), detached. ComputeLoss (gr = 1) asks for the CIoU of the student's box with the object at its positives and
    /// 0 elsewhere; on three batches of the built-in set the CIoU with the teacher's box was within 0.08-0.11 of the CIoU
    /// with the object the teacher's box overlaps (σ(t)-weighted mean over the confident cells), σ(t_obj/T) within
    /// 0.23-0.30 (report of issue 18).
    /// </summary>
    Iou,
    /// <summary>
    /// The teacher's softened probability σ(t_obj/T) (Hinton's KD applied to the objectness logit), whatever the
    /// student's box: on the confident cells of the probe batches it asked for 0.50 where the detection loss asks for
    /// 0.24 (pretrained student) or 0.37 (after one distilled epoch), its gradient was 87x the detection loss's
    /// objectness gradient at weight 1, and in the benchmark the val objectness loss rose.
    /// </summary>
    Soft,
    /// <summary>Objectness is not distilled (class logits only).</summary>
    None,
}

/// <summary>
/// Output distillation on the detection head: the student's class logits are pulled towards the teacher's softened
/// probabilities, BCE(σ(s/T), σ(t/T)) · T² (Hinton's T² keeps gradient magnitudes comparable across temperatures), its
/// objectness towards the target <see cref="Objectness"/> chooses, and every anchor-cell is weighted by the teacher's
/// objectness σ(t_obj) so that the teacher's confident detections dominate and its background noise does not:
/// L_kd = Σ_levels Σ_cells w · (bce_obj + T² · mean_c bce_cls) / Σ_levels Σ_cells w,
/// with bce_obj = BCE(s_obj, [σ(t_obj) ≥ threshold] · max(CIoU(s, t), 0)) by default (not softened),
/// T² · BCE(σ(s_obj/T), σ(t_obj/T)) in the soft form. Boxes are <see cref="KdBoxLoss"/>'s (--method kd+kdbox).
/// Teacher and student must share nc, levels and anchors (the raw outputs are compared cell by cell and anchor by anchor).
/// </summary>
public sealed class KdLoss(LossSettings settings) : IDistillationLoss
{
    public const double DefaultTemperature = 1.0;
    // 0.2, not 1: at weight 1 KD's gradient on the student was about 5x the detection gradient (15 against 3 in the
    // first epoch), every optimizer step was clipped, and with FGFI beside it the clip shrank every step to a third.
    // Over the benchmark's 3 seeds weight 0.2 gave kd 0.1161 against 0.1082 and fgfi+kd 0.1163 against 0.0841
    // (README, "Distillation benchmark").
    public const double DefaultWeight = 0.2;
    // As box distillation's threshold (KdBoxLoss.DefaultThreshold): 98% of the cells lie below it, background.
    public const double DefaultObjThreshold = 0.1;

    public static readonly LossSetting<double> Weight = Setting.Number("kd-weight", "KD loss weight", DefaultWeight, v => v < 0 ? "must be >= 0" : null);
    public static readonly LossSetting<double> Temperature = Setting.Number("kd-temperature", "KD temperature T", DefaultTemperature, v => v <= 0 ? "must be > 0" : null);
    public static readonly LossSetting<KdObjectness> Objectness = Setting.Choice("kd-obj",
        "KD objectness target: the CIoU of the student's box with the teacher's where the teacher is confident and 0 elsewhere, the teacher's softened objectness, or none",
        KdObjectness.Iou);
    public static readonly LossSetting<double> ObjThreshold = Setting.Number("kd-obj-threshold",
        "With --kd-obj iou: the teacher's objectness sigma(t_obj) from which a cell holds an object", DefaultObjThreshold, v => v is <= 0 or >= 1 ? "must lie in (0, 1)" : null);

    public static readonly DistillLossKind Kind = new("kd", "train/kd_loss",
        "Output distillation: objectness and class logits towards the teacher's, weighted by its objectness", ComparesFeatures: false,
        [Weight, Temperature, Objectness, ObjThreshold], s => new KdLoss(s))
    {
        // Runs whose checkpoint does not record a setting ran with the earlier default: weight 1, the soft objectness.
        Legacy = new LossSettings().With(Weight, 1.0).With(Objectness, KdObjectness.Soft),
        ComparesAnchors = true,
    };

    readonly double weight = settings.Get(Weight);
    readonly double temperature = settings.Get(Temperature);
    readonly KdObjectness objectness = settings.Get(Objectness);
    readonly double objThreshold = settings.Get(ObjThreshold);

    public string Name => Kind.Name;
    public double WeightAt(DistillProgress progress) => weight;
    public string Describe() => $"kd: weight {Weight.Format(weight)}, T {Temperature.Format(temperature)}, objectness {Objectness.Format(objectness)}"
        + (objectness == KdObjectness.Iou ? $" from {ObjThreshold.Format(objThreshold)}" : "");
    void IDistillationLoss.CheckCompatible(Detector.Model.ModelConfig teacher, Detector.Model.ModelConfig student) => CheckCompatible(teacher, student);

    public LossValue Compute(DistillStep step)
    {
        using var scope = NewDisposeScope();
        var anchors = objectness == KdObjectness.Iou ? HeadBoxes.AnchorsInGridUnits(step.StudentConfig, step.Student.Raw[0].device) : null;
        return new LossValue(scope.MoveToOuter(Compute(step.Student.Raw, step.Teacher.Raw, temperature, objectness, anchors, objThreshold)));
    }

    /// <summary>
    /// Unweighted KD over the raw Detect outputs (bs, na, ny, nx, 5 + nc) of each level, before sigmoid. The iou
    /// objectness needs each level's anchors in grid units (<see cref="HeadBoxes.AnchorsInGridUnits"/>) and counts a
    /// cell as holding an object from σ(t_obj) ≥ <paramref name="objThreshold"/>.
    /// </summary>
    public static Tensor Compute(IReadOnlyList<Tensor> studentRaw, IReadOnlyList<Tensor> teacherRaw, double temperature = DefaultTemperature,
        KdObjectness objectness = KdObjectness.Soft, IReadOnlyList<Tensor>? anchors = null, double objThreshold = DefaultObjThreshold)
    {
        if (studentRaw.Count != teacherRaw.Count || teacherRaw.Count == 0)
            throw new ArgumentException($"KD needs the same number of detection levels in student ({studentRaw.Count}) and teacher ({teacherRaw.Count}).");
        if (temperature <= 0) throw new ArgumentException($"KD temperature must be positive; got {temperature}.");
        if (objectness == KdObjectness.Iou && anchors?.Count != teacherRaw.Count)
            throw new ArgumentException($"KD's iou objectness decodes boxes and needs the anchors of every level ({teacherRaw.Count}); got {anchors?.Count ?? 0}.");
        double t2 = temperature * temperature;
        using var scope = NewDisposeScope();
        Tensor? weighted = null;
        Tensor? weights = null;
        for (int i = 0; i < teacherRaw.Count; i++)
        {
            var s = studentRaw[i];
            var t = teacherRaw[i].detach();
            if (!s.shape.SequenceEqual(t.shape))
                throw new ArgumentException($"Level {i}: student output ({string.Join("x", s.shape)}) and teacher output ({string.Join("x", t.shape)}) differ; KD needs the same number of classes, anchors and grid.");
            var w = t[TensorIndex.Ellipsis, 4].sigmoid();
            var perCell = objectness switch
            {
                KdObjectness.Soft => SoftBce(s[TensorIndex.Ellipsis, 4], t[TensorIndex.Ellipsis, 4], temperature) * t2,
                KdObjectness.Iou => nn.functional.binary_cross_entropy_with_logits(s[TensorIndex.Ellipsis, 4],
                    HeadBoxes.Ciou(s.detach(), t, anchors![i]).clamp_min(0) * w.ge(objThreshold).to(w.dtype), reduction: nn.Reduction.None),
                _ => zeros_like(w),
            };
            if (s.shape[^1] > 5)
                perCell = perCell + SoftBce(s[TensorIndex.Ellipsis, TensorIndex.Slice(5)], t[TensorIndex.Ellipsis, TensorIndex.Slice(5)], temperature).mean([-1]) * t2;
            var lw = (w * perCell).sum();
            weighted = weighted is null ? lw : weighted + lw;
            var ws = w.sum();
            weights = weights is null ? ws : weights + ws;
        }
        var loss = weighted! / weights!.clamp_min(1e-9);
        return scope.MoveToOuter(loss);
    }

    /// <summary>BCE(σ(s/T), σ(t/T)) element by element.</summary>
    static Tensor SoftBce(Tensor s, Tensor t, double temperature) =>
        nn.functional.binary_cross_entropy_with_logits(s / temperature, (t / temperature).sigmoid(), reduction: nn.Reduction.None);

    /// <summary>Clear error when the two detectors cannot be compared output by output.</summary>
    public static void CheckCompatible(Detector.Model.ModelConfig teacher, Detector.Model.ModelConfig student)
    {
        if (teacher.Nc != student.Nc)
            throw new ArgumentException($"KD needs the same classes: the teacher has nc={teacher.Nc}, the student nc={student.Nc}.");
        CheckSameHead(teacher, student, "KD");
    }

    /// <summary>Clear error when the two heads do not have the same levels and anchors (cells and anchors are compared one to one).</summary>
    public static void CheckSameHead(Detector.Model.ModelConfig teacher, Detector.Model.ModelConfig student, string what)
    {
        if (teacher.NumLevels != student.NumLevels || !teacher.Strides.SequenceEqual(student.Strides))
            throw new ArgumentException($"{what} needs the same detection levels: teacher strides {string.Join(",", teacher.Strides)}, student strides {string.Join(",", student.Strides)}.");
        bool sameAnchors = teacher.AnchorsPx.Length == student.AnchorsPx.Length
            && teacher.AnchorsPx.Zip(student.AnchorsPx).All(p => p.First.Length == p.Second.Length
                && p.First.Zip(p.Second).All(q => Math.Abs(q.First - q.Second) < 1e-3));
        if (!sameAnchors)
            throw new ArgumentException($"{what} needs the same anchors in teacher and student (outputs are compared anchor by anchor); "
                + $"teacher {FormatAnchors(teacher)}, student {FormatAnchors(student)}.");
    }

    static string FormatAnchors(Detector.Model.ModelConfig c) =>
        string.Join(" / ", c.AnchorsPx.Select(r => string.Join(",", r.Select(v => v.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)))));
}
