using YoloDistill.Detector.Common;
using YoloDistill.Detector.Training;

namespace YoloDistill.Distill.Distillation;

/// <summary>
/// Rebuilds a distill run's <see cref="DistillationExtension"/> on resume from its checkpoint's metadata: the method and
/// every setting it ran with, and its teacher (loaded again from the full path it recorded, onto the resumed run's
/// device). The trainer then restores the adapters and the schedule position from the checkpoint's tensors.
/// </summary>
public sealed class DistillationExtensionFactory : ITrainingExtensionFactory
{
    public string Name => "distillation";

    public IReadOnlyList<ITrainingExtension> Rebuild(ResumeContext context)
    {
        if (DistillationExtension.FromMetadata(context.Metadata) is not { } saved) return [];
        var (options, teacherPath) = saved;
        if (!File.Exists(teacherPath))
            throw new FileNotFoundException($"{context.CheckpointPath}: its teacher {teacherPath} is no longer there.", teacherPath);
        var teacher = Teacher.Load(teacherPath, DeviceSelector.Parse(context.Options.Device));
        try { return [new DistillationExtension(teacher, options, disposeTeacher: true)]; }
        catch
        {
            teacher.Dispose();
            throw;
        }
    }
}
