namespace YoloDistill.Detector.Training;

/// <summary>
/// The extension factories a resume asks. <see cref="Shared"/> is the process-wide one that an application fills at
/// startup (the yolo-distill CLI registers distillation's); a test or tool that needs other factories builds its own,
/// so that no other code in the process sees them.
/// </summary>
public sealed class TrainingExtensionRegistry
{
    readonly object gate = new();
    ITrainingExtensionFactory[] factories = [];

    public static TrainingExtensionRegistry Shared { get; } = new();

    public IReadOnlyList<ITrainingExtensionFactory> Factories => factories;

    /// <summary>Adds a factory; one with the same name already present is kept (registering twice is harmless).</summary>
    public void Register(ITrainingExtensionFactory factory)
    {
        lock (gate)
        {
            if (factories.Any(f => f.Name == factory.Name)) return;
            factories = [.. factories, factory];
        }
    }

    /// <summary>
    /// Every registered factory's extensions for this run, in registration order. If one factory fails, those already
    /// built are disposed before the error goes on.
    /// </summary>
    public IReadOnlyList<ITrainingExtension> Rebuild(ResumeContext context)
    {
        var built = new List<ITrainingExtension>();
        try
        {
            foreach (var f in factories) built.AddRange(f.Rebuild(context));
            return built;
        }
        catch
        {
            foreach (var e in built) (e as IDisposable)?.Dispose();
            throw;
        }
    }
}
