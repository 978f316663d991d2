using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Distillation;

/// <summary>Everything a distillation loss may read at one training step.</summary>
/// <param name="Student">The student's output (training mode, in the graph): raw Detect outputs and P3/P4/P5 features.</param>
/// <param name="Teacher">The teacher's output on the same batch (float32, no graph).</param>
/// <param name="AdaptedStudent">Student features mapped to the teacher's channels by the adapters (null when no selected loss compares features).</param>
/// <param name="Targets">The batch's (n, 6) targets: image index, class, cx, cy, w, h normalised by the input size.</param>
/// <param name="StudentConfig">The student's configuration (strides, anchors).</param>
public sealed record DistillStep(YoloOutput Student, YoloOutput Teacher, IReadOnlyList<Tensor>? AdaptedStudent, Tensor Targets, ModelConfig StudentConfig)
{
    /// <summary>The run's hyp anchor_t: FGFI's matched levels pair boxes and anchors as the student's detection loss does.</summary>
    public double AnchorT { get; init; } = ImitationMask.AnchorT;

    /// <summary>Input height and width in pixels, from the first feature level.</summary>
    public (int Height, int Width) InputSize
    {
        get
        {
            var f = Student.Features[0];
            return ((int)f.shape[2] * StudentConfig.Strides[0], (int)f.shape[3] * StudentConfig.Strides[0]);
        }
    }
}

/// <summary>
/// Where training is, for schedules: the global iteration, the run's total number of iterations and the iterations per
/// epoch (0 when unknown; <see cref="DistillSchedule"/> needs it to stop distillation for the last epochs).
/// </summary>
public readonly record struct DistillProgress(long Iteration, long TotalIterations, long IterationsPerEpoch = 0);

/// <summary>A loss's unweighted value (scalar, per image, in the student's graph) and optional per-level parts (detached) for diagnostics.</summary>
public sealed record LossValue(Tensor Loss, Tensor? PerLevel = null) : IDisposable
{
    public void Dispose()
    {
        Loss.Dispose();
        PerLevel?.Dispose();
    }
}

/// <summary>
/// A distillation loss: one file implements it (its settings, defaults and maths) and <see cref="DistillLosses.All"/>
/// registers it. The extension weighs its value by <see cref="WeightAt"/> and adds it to the detection loss.
/// </summary>
public interface IDistillationLoss
{
    /// <summary>Registry name, as written in --method (e.g. "fgfi").</summary>
    string Name { get; }

    /// <summary>The weight at this point of training (constant for most losses; FGFI may delay, ramp and decay it).</summary>
    double WeightAt(DistillProgress progress);

    /// <summary>The unweighted loss of one step.</summary>
    LossValue Compute(DistillStep step);

    /// <summary>Refuses, with a clear message, a teacher and student this loss cannot compare.</summary>
    void CheckCompatible(ModelConfig teacher, ModelConfig student);

    /// <summary>One line saying how the loss is set (for the console).</summary>
    string Describe();
}
