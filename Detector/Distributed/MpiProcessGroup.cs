using static TorchSharp.torch;

namespace YoloDistill.Detector.Distributed;

/// <summary>
/// The ranks of an mpirun (or srun) job over Open MPI: the Horovod pattern without Horovod. Tensors travel through host
/// memory: they are packed into one contiguous float32 buffer on the CPU, reduced in place, and copied back (to the GPU
/// when they live there; CUDA-aware MPI would skip the copy). Calls come from the training thread only
/// (MPI_THREAD_FUNNELED).
/// </summary>
public sealed class MpiProcessGroup : IProcessGroup
{
    static MpiProcessGroup? _instance;
    static volatile bool _agreedStop;

    MpiProcessGroup(int rank, int size)
    {
        Rank = rank;
        WorldSize = size;
    }

    public int Rank { get; }
    public int WorldSize { get; }

    /// <summary>Initialises MPI once per process (MPI allows one MPI_Init) and returns the group.</summary>
    public static MpiProcessGroup Initialize()
    {
        if (_instance is not null) return _instance;
        MpiNative.Load();
        if (!MpiNative.Initialized()) MpiNative.InitThread(MpiNative.ThreadFunneled);
        _instance = new MpiProcessGroup(MpiNative.Rank(), MpiNative.Size());
        // At exit: MPI_Finalize after a clean end; after a failure MPI_Abort, which makes mpirun end every other rank
        // at once (a rank that finalises and leaves would leave the others waiting in their next collective forever).
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            if (Environment.ExitCode != 0 && !_agreedStop) Abort(Environment.ExitCode);
            else _instance?.Dispose();
        };
        return _instance;
    }

    public unsafe void AllReduceMean(IReadOnlyList<Tensor> tensors)
    {
        if (tensors.Count == 0) return;
        using var scope = NewDisposeScope();
        var flat = cat(tensors.Select(t => t.detach().to(float32).cpu().flatten()).ToArray()).contiguous();
        long n = flat.numel();
        if (n > int.MaxValue) throw new NotSupportedException($"{n} values in one all-reduce; split them.");
        fixed (byte* p = flat.bytes) MpiNative.AllReduceInPlace((nint)p, (int)n, MpiNative.Float, MpiNative.OpSum);
        flat.div_(WorldSize);
        long offset = 0;
        using (no_grad())
            foreach (var t in tensors)
            {
                long k = t.numel();
                t.copy_(flat.narrow(0, offset, k).view_as(t));
                offset += k;
            }
    }

    public unsafe void Broadcast(IReadOnlyList<Tensor> tensors, int root = 0)
    {
        if (tensors.Count == 0) return;
        using var scope = NewDisposeScope();
        foreach (var t in tensors)
        {
            // Each tensor in its own dtype and bytes, so integer buffers (BatchNorm's counter) travel exactly.
            var host = t.detach().cpu().contiguous().clone();
            long bytes = host.numel() * host.element_size();
            if (bytes > int.MaxValue) throw new NotSupportedException($"a tensor of {bytes} bytes in one broadcast.");
            var buffer = host.bytes.ToArray();
            fixed (byte* p = buffer) MpiNative.Broadcast((nint)p, (int)bytes, MpiNative.Byte, root);
            host.bytes = buffer;
            using (no_grad()) t.copy_(host);
        }
    }

    public unsafe long AllReduceMax(long value)
    {
        long v = value;
        MpiNative.AllReduceInPlace((nint)(&v), 1, MpiNative.Long, MpiNative.OpMax);
        return v;
    }

    public void Barrier() => MpiNative.Barrier();

    public void MarkAgreedStop() => _agreedStop = true;

    /// <summary>Ends every rank of the job with <paramref name="code"/> (MPI_Abort).</summary>
    public static void Abort(int code)
    {
        if (!MpiNative.Finalized()) MpiNative.Abort(code);
    }

    public void Dispose()
    {
        if (!MpiNative.Finalized()) MpiNative.FinalizeMpi();
    }
}
