namespace YoloDistill.Detector.Training;

/// <summary>
/// A run folder's weights/last.ckpt, read and verified once, and known to be resumable: it holds the training options,
/// the raw model and optimizer state, and epochs are left to train. Everything resume needs (options, hyps, state,
/// extension metadata) is taken from this one read; the caller disposes it once the trainer is built.
/// </summary>
public sealed class ResumePoint : IDisposable
{
    ResumePoint(string runDir, string path, CheckpointData checkpoint)
    {
        RunDir = runDir;
        Path = path;
        Checkpoint = checkpoint;
    }

    /// <summary>The run folder, as a full path (the resumed run writes here).</summary>
    public string RunDir { get; }
    /// <summary>The checkpoint's path, for messages.</summary>
    public string Path { get; }
    public CheckpointData Checkpoint { get; }
    /// <summary>The saved options, writing to <see cref="RunDir"/> wherever the run was started from.</summary>
    public TrainOptions Options => Checkpoint.Options! with { SaveDir = RunDir };
    /// <summary>The first epoch the resumed run trains.</summary>
    public int StartEpoch => Checkpoint.Epoch + 1;

    /// <summary>Reads <paramref name="runDir"/>/weights/last.ckpt, refusing one that cannot be resumed with a message naming it.</summary>
    public static ResumePoint Read(string runDir)
    {
        var last = System.IO.Path.Combine(runDir, "weights", "last.ckpt");
        if (!File.Exists(last)) throw new FileNotFoundException($"{last}: no checkpoint to resume from (expected <run>/weights/last.ckpt).", last);
        var c = Training.Checkpoint.Load(last);
        try
        {
            var o = c.Options ?? throw new InvalidDataException($"{last}: the checkpoint holds no training options; it cannot be resumed.");
            if (c.Model is null || c.Optimizer is null)
                throw new InvalidDataException($"{last}: the checkpoint has no raw model or optimizer state; it cannot be resumed.");
            if (c.Epoch + 1 >= o.Epochs)
                throw new ArgumentException($"{last}: training to {o.Epochs} epochs is finished, nothing to resume.");
            return new ResumePoint(System.IO.Path.GetFullPath(runDir), last, c);
        }
        catch
        {
            c.Dispose();
            throw;
        }
    }

    public void Dispose() => Checkpoint.Dispose();
}
