using TorchSharp;
using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Distillation;

/// <summary>
/// Box distillation for YOLOv5 heads: at every cell and anchor the student's box is pulled towards the teacher's box there,
/// weighted by the teacher's objectness w = σ(t_obj) (zero below <see cref="Threshold"/>, where the teacher sees no
/// object and its box means nothing), and averaged with those weights over all levels:
/// L_box = Σ_levels Σ_cells w · (1 − CIoU(student box, teacher box)) / Σ_levels Σ_cells w.
/// This is the box part that output distillation (<see cref="KdLoss"/>) lacks, in the form the detector's own box loss
/// has (ComputeLoss: 1 − CIoU at the assigned anchors), with the weighting of PaddleDetection's YOLOv3 distillation
/// (obj-weighted box terms) and the normalisation by the sum of weights of PP-YOLOE+'s (GIoU weighted by the teacher's
/// scores). The same distance as the detection loss keeps the two gradients on one scale and pointing the same way
/// (cosine 0.86 on the probe batches); an L1 of the box parameters (PaddleDetection's YOLOv3 form) had a gradient 11x
/// larger at the same weight and was not kept. A loss of its own, so that its weight, results.csv column and
/// gradient norm (--diagnose-every) stand apart from KD's; combine them with --method kd+kdbox or fgfi+kd+kdbox.
/// </summary>
public sealed class KdBoxLoss(LossSettings settings) : IDistillationLoss
{
    // On three training batches of the built-in shapes set (shipped teacher, pretrained yolov5n student) the gradient
    // of this term at weight 1 on the student's parameters was 14.3 against 2.5 for the detection loss's box term:
    // weight 0.1 puts it at 0.6x the detection box gradient, of its order without outweighing it.
    public const double DefaultWeight = 0.1;
    // The shipped teacher's objectness is below 0.1 on 98% of the cells of those batches (112 cells per image, 5.3
    // objects, stay above); those cells are background whose boxes mean nothing, yet they carried a third of the
    // total weight Σσ(t_obj).
    public const double DefaultThreshold = 0.1;

    public static readonly LossSetting<double> Weight = Setting.Number("kdbox-weight", "Box distillation weight", DefaultWeight, v => v < 0 ? "must be >= 0" : null);
    public static readonly LossSetting<double> Threshold = Setting.Number("kdbox-threshold",
        "Box distillation: cells where the teacher's objectness sigma(t_obj) is below this are ignored", DefaultThreshold, v => v is < 0 or >= 1 ? "must lie in [0, 1)" : null);

    public static readonly DistillLossKind Kind = new("kdbox", "train/kdbox_loss",
        "Box distillation: the student's boxes towards the teacher's at the cells the teacher is confident about", ComparesFeatures: false,
        [Weight, Threshold], s => new KdBoxLoss(s)) { ComparesAnchors = true };

    readonly double weight = settings.Get(Weight);
    readonly double threshold = settings.Get(Threshold);

    public string Name => Kind.Name;
    public double WeightAt(DistillProgress progress) => weight;
    public string Describe() => $"kdbox: weight {Weight.Format(weight)}, threshold {Threshold.Format(threshold)}";
    public void CheckCompatible(ModelConfig teacher, ModelConfig student) => KdLoss.CheckSameHead(teacher, student, "Box distillation");

    public LossValue Compute(DistillStep step)
    {
        using var scope = NewDisposeScope();
        var anchors = HeadBoxes.AnchorsInGridUnits(step.StudentConfig, step.Student.Raw[0].device);
        var (loss, perLevel) = Compute(step.Student.Raw, step.Teacher.Raw, anchors, threshold);
        return new LossValue(scope.MoveToOuter(loss), scope.MoveToOuter(perLevel));
    }

    /// <summary>
    /// The unweighted box distillation of raw Detect outputs (bs, na, ny, nx, 5 + nc) per level, before the sigmoid, with
    /// each level's anchors in grid units (<see cref="HeadBoxes.AnchorsInGridUnits"/>), and each level's part (detached;
    /// the parts sum to the loss). With no cell at or above the threshold the loss is 0 and still in the graph.
    /// </summary>
    public static (Tensor Loss, Tensor PerLevel) Compute(IReadOnlyList<Tensor> studentRaw, IReadOnlyList<Tensor> teacherRaw, IReadOnlyList<Tensor> anchors,
        double threshold = DefaultThreshold)
    {
        if (studentRaw.Count != teacherRaw.Count || teacherRaw.Count != anchors.Count || teacherRaw.Count == 0)
            throw new ArgumentException($"Box distillation needs the same number of levels in student ({studentRaw.Count}), teacher ({teacherRaw.Count}) and anchors ({anchors.Count}).");
        using var scope = NewDisposeScope();
        var sums = new Tensor[teacherRaw.Count];
        var weights = new Tensor[teacherRaw.Count];
        for (int i = 0; i < teacherRaw.Count; i++)
        {
            var s = studentRaw[i];
            var t = teacherRaw[i].detach();
            if (s.dim() != 5 || s.shape[^1] < 5 || !s.shape.Take(4).SequenceEqual(t.shape.Take(4)) || t.shape[^1] < 5)
                throw new ArgumentException($"Level {i}: student output ({string.Join("x", s.shape)}) and teacher output ({string.Join("x", t.shape)}) do not share batch, anchors and grid.");
            var w = t[TensorIndex.Ellipsis, 4].sigmoid();
            if (threshold > 0) w = w * w.ge(threshold).to(w.dtype);
            var d = 1 - HeadBoxes.Ciou(s, t, anchors[i]);
            sums[i] = (w * d).sum();
            weights[i] = w.sum();
        }
        var parts = stack(sums) / stack(weights).sum().clamp_min(1e-9);
        return (scope.MoveToOuter(parts.sum()), scope.MoveToOuter(parts.detach()));
    }
}
