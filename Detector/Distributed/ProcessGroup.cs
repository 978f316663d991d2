using static TorchSharp.torch;

namespace YoloDistill.Detector.Distributed;

/// <summary>
/// The processes one data-parallel run spans, as Horovod and torch.distributed see them: a rank and a world size, and
/// the collective operations the trainer needs (average gradients, share rank 0's weights, wait for each other, agree
/// on a flag). <see cref="ProcessGroup.Current"/> is the single process (rank 0 of 1, every operation a no-op) unless the process
/// was started by mpirun or srun, in which case it is the MPI group.
/// </summary>
public interface IProcessGroup : IDisposable
{
    int Rank { get; }
    int WorldSize { get; }
    bool IsMain => Rank == 0;

    /// <summary>Replaces each tensor by the mean of it over all ranks (gradients before the optimizer step).</summary>
    void AllReduceMean(IReadOnlyList<Tensor> tensors);

    /// <summary>Copies rank <paramref name="root"/>'s tensors into every rank's (the initial weights).</summary>
    void Broadcast(IReadOnlyList<Tensor> tensors, int root = 0);

    /// <summary>The largest of every rank's value (a stop request on any rank stops all at the same step).</summary>
    long AllReduceMax(long value);

    void Barrier();

    /// <summary>
    /// Every rank agreed to stop at this point (a stop signal): the process may end with a non-zero code and still
    /// leave MPI cleanly, instead of aborting the job as after a failure.
    /// </summary>
    void MarkAgreedStop() { }
}

/// <summary>The process group of this process: chosen once from the environment.</summary>
public static class ProcessGroup
{
    static IProcessGroup? _current;
    static readonly Lock Gate = new();

    /// <summary>
    /// The MPI group when the launcher says there are several ranks (Open MPI's OMPI_COMM_WORLD_SIZE, Slurm's
    /// SLURM_STEP_NUM_TASKS in an srun step, PMI_SIZE), otherwise the single process (an sbatch script's own step included).
    /// </summary>
    public static IProcessGroup Current
    {
        get
        {
            lock (Gate) return _current ??= FromEnvironment();
        }
    }

    /// <summary>This process's rank as the launcher announces it (before MPI is initialised), or 0.</summary>
    public static int LaunchedRank()
    {
        foreach (var name in new[] { "OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID" })
            if (int.TryParse(Environment.GetEnvironmentVariable(name), out int r) && r >= 0) return r;
        return 0;
    }

    /// <summary>This process's rank among those on its machine (which GPU it takes), or 0.</summary>
    public static int LaunchedLocalRank()
    {
        foreach (var name in new[] { "OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID" })
            if (int.TryParse(Environment.GetEnvironmentVariable(name), out int r) && r >= 0) return r;
        return 0;
    }

    /// <summary>The world size the launcher announces, or 1.</summary>
    public static int LaunchedWorldSize()
    {
        foreach (var name in new[] { "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS" })
            if (int.TryParse(Environment.GetEnvironmentVariable(name), out int n) && n > 0) return n;
        return 1;
    }

    static IProcessGroup FromEnvironment() => LaunchedWorldSize() > 1 ? MpiProcessGroup.Initialize() : SingleProcess.Instance;
}

/// <summary>One process: rank 0 of 1.</summary>
public sealed class SingleProcess : IProcessGroup
{
    public static SingleProcess Instance { get; } = new();
    public int Rank => 0;
    public int WorldSize => 1;
    public void AllReduceMean(IReadOnlyList<Tensor> tensors) { }
    public void Broadcast(IReadOnlyList<Tensor> tensors, int root = 0) { }
    public long AllReduceMax(long value) => value;
    public void Barrier() { }
    public void Dispose() { }
}
