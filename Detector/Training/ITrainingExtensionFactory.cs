namespace YoloDistill.Detector.Training;

/// <summary>
/// What a factory sees when a run is resumed: the metadata the run's checkpoint recorded (each extension's
/// <see cref="ITrainingExtension.Metadata"/> among it), the checkpoint's path for messages, and the options the resumed
/// run trains with (their device is where rebuilt modules belong).
/// </summary>
public sealed record ResumeContext(IReadOnlyDictionary<string, string> Metadata, string CheckpointPath, TrainOptions Options);

/// <summary>
/// Rebuilds training extensions from what a checkpoint records, so that resuming a run needs nothing but its folder:
/// <see cref="Trainer.Resume(string, IEpochValidator?, Func{TrainOptions, TrainOptions}?, TrainingExtensionRegistry?)"/>
/// asks every registered factory, and restores each rebuilt extension's saved tensors afterwards
/// (<see cref="ITrainingExtension.LoadState"/>). The trainer owns what a factory returns and disposes it.
/// </summary>
public interface ITrainingExtensionFactory
{
    /// <summary>Names the factory; a registry keeps one factory per name.</summary>
    string Name { get; }

    /// <summary>The extensions the run used, with the settings it recorded; empty when its metadata holds none of this factory's.</summary>
    IReadOnlyList<ITrainingExtension> Rebuild(ResumeContext context);
}
