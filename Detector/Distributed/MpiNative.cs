using System.Runtime.InteropServices;

namespace YoloDistill.Detector.Distributed;

/// <summary>
/// The few MPI calls data-parallel training needs, bound to Open MPI's libmpi.so.40 (Debian's openmpi-bin/libopenmpi3
/// 4.1). Open MPI's handles are the addresses of exported globals (MPI_COMM_WORLD is &amp;ompi_mpi_comm_world), so they are
/// looked up in the library at load time. Only <see cref="MpiProcessGroup"/> uses this class.
/// </summary>
internal static unsafe class MpiNative
{
    public const int Success = 0;
    public const int ThreadFunneled = 1;
    /// <summary>Open MPI's MPI_IN_PLACE.</summary>
    public static readonly nint InPlace = 1;

    static nint _lib;
    public static nint CommWorld { get; private set; }
    public static nint Float { get; private set; }
    public static nint Long { get; private set; }
    public static nint Byte { get; private set; }
    public static nint OpSum { get; private set; }
    public static nint OpMax { get; private set; }

    static delegate* unmanaged<int*, nint*, int, int*, int> _initThread;
    static delegate* unmanaged<int*, int> _initialized;
    static delegate* unmanaged<int*, int> _finalized;
    static delegate* unmanaged<int> _finalize;
    static delegate* unmanaged<nint, int*, int> _commRank;
    static delegate* unmanaged<nint, int*, int> _commSize;
    static delegate* unmanaged<nint, nint, int, nint, nint, nint, int> _allreduce;
    static delegate* unmanaged<nint, int, nint, int, nint, int> _bcast;
    static delegate* unmanaged<nint, int> _barrier;
    static delegate* unmanaged<nint, int, int> _abort;

    /// <summary>Loads libmpi (once); a clear error when Open MPI is not installed.</summary>
    public static void Load()
    {
        if (_lib != 0) return;
        // Open MPI's plugins resolve symbols of libmpi itself, so it must be loaded RTLD_GLOBAL (as mpi4py does).
        nint lib = 0;
        foreach (var name in new[] { "libmpi.so.40", "libmpi.so" })
        {
            lib = DlOpen(name);
            if (lib != 0) break;
        }
        if (lib == 0)
            throw new DllNotFoundException("Open MPI's libmpi.so.40 was not found: install it (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi3) to run under mpirun.");
        nint Sym(string symbol) => NativeLibrary.GetExport(lib, symbol);
        _initThread = (delegate* unmanaged<int*, nint*, int, int*, int>)Sym("MPI_Init_thread");
        _initialized = (delegate* unmanaged<int*, int>)Sym("MPI_Initialized");
        _finalized = (delegate* unmanaged<int*, int>)Sym("MPI_Finalized");
        _finalize = (delegate* unmanaged<int>)Sym("MPI_Finalize");
        _commRank = (delegate* unmanaged<nint, int*, int>)Sym("MPI_Comm_rank");
        _commSize = (delegate* unmanaged<nint, int*, int>)Sym("MPI_Comm_size");
        _allreduce = (delegate* unmanaged<nint, nint, int, nint, nint, nint, int>)Sym("MPI_Allreduce");
        _bcast = (delegate* unmanaged<nint, int, nint, int, nint, int>)Sym("MPI_Bcast");
        _barrier = (delegate* unmanaged<nint, int>)Sym("MPI_Barrier");
        _abort = (delegate* unmanaged<nint, int, int>)Sym("MPI_Abort");
        CommWorld = Sym("ompi_mpi_comm_world");
        Float = Sym("ompi_mpi_float");
        Long = Sym("ompi_mpi_long");
        Byte = Sym("ompi_mpi_byte");
        OpSum = Sym("ompi_mpi_op_sum");
        OpMax = Sym("ompi_mpi_op_max");
        _lib = lib;
    }

    public static void Check(int rc, string call)
    {
        if (rc != Success) throw new InvalidOperationException($"{call} failed with MPI error code {rc}.");
    }

    public static int InitThread(int required)
    {
        int provided;
        Check(_initThread(null, null, required, &provided), "MPI_Init_thread");
        return provided;
    }

    public static bool Initialized()
    {
        int flag;
        Check(_initialized(&flag), "MPI_Initialized");
        return flag != 0;
    }

    public static bool Finalized()
    {
        int flag;
        Check(_finalized(&flag), "MPI_Finalized");
        return flag != 0;
    }

    public static void FinalizeMpi() => Check(_finalize(), "MPI_Finalize");

    public static int Rank()
    {
        int r;
        Check(_commRank(CommWorld, &r), "MPI_Comm_rank");
        return r;
    }

    public static int Size()
    {
        int s;
        Check(_commSize(CommWorld, &s), "MPI_Comm_size");
        return s;
    }

    public static void AllReduceInPlace(nint buffer, int count, nint type, nint op) =>
        Check(_allreduce(InPlace, buffer, count, type, op, CommWorld), "MPI_Allreduce");

    public static void Broadcast(nint buffer, int count, nint type, int root) => Check(_bcast(buffer, count, type, root, CommWorld), "MPI_Bcast");

    public static void Barrier() => Check(_barrier(CommWorld), "MPI_Barrier");

    public static void Abort(int code) => _abort(CommWorld, code);

    const int RtldNow = 2, RtldGlobal = 0x100;

    [DllImport("libc", EntryPoint = "dlopen")]
    static extern nint DlOpenNative(string file, int mode);

    static nint DlOpen(string name)
    {
        try { return DlOpenNative(name, RtldNow | RtldGlobal); }
        catch (EntryPointNotFoundException) { return 0; }
        catch (DllNotFoundException) { return 0; }
    }
}
