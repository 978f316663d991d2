using System.Runtime.InteropServices;

namespace YoloDistill.Detector.Common;

/// <summary>
/// glibc malloc settings for libtorch's CPU tensors. By default glibc serves every block over 128 KB (the threshold
/// then adapts) with a fresh mmap and unmaps it on free, so each activation of every step comes back as new pages the
/// kernel must fault in and zero; on a 2-core VM that was a third of the run time in the kernel. Keeping blocks up to
/// the largest allowed mmap threshold (32 MB) in the heap, and not trimming the heap top back to the OS, lets the next
/// step reuse the same memory: a yolov5n training step at batch 16 and 320 px went from 0.68 s to 0.43 s, a yolov5s
/// forward from 1.05 s to 0.28 s (yolo-distill bench train-step / bench model, see README). Two arenas keep the
/// resident set flat when loader threads allocate too.
/// </summary>
public static class MallocTuning
{
    const int M_TRIM_THRESHOLD = -1;
    const int M_MMAP_THRESHOLD = -3;
    const int M_ARENA_MAX = -8;
    /// <summary>glibc's ceiling for M_MMAP_THRESHOLD on 64-bit (HEAP_MAX_SIZE / 2); larger values are refused.</summary>
    public const int MmapThreshold = 32 * 1024 * 1024;
    public const int TrimThreshold = int.MaxValue;
    public const int ArenaMax = 2;

    static readonly Lazy<bool> Applied = new(ApplyOnce);

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int Mallopt(int param, int value);

    /// <summary>
    /// Applies the settings once per process (glibc on Linux only; elsewhere, or with a libc without mallopt, nothing
    /// changes). An explicit MALLOC_*_ environment variable wins. Returns whether glibc accepted the settings.
    /// </summary>
    public static bool Apply() => OperatingSystem.IsLinux() && Applied.Value;

    static bool ApplyOnce()
    {
        try
        {
            bool ok = true;
            if (Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is null) ok &= Mallopt(M_MMAP_THRESHOLD, MmapThreshold) == 1;
            if (Environment.GetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_") is null) ok &= Mallopt(M_TRIM_THRESHOLD, TrimThreshold) == 1;
            if (Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is null) ok &= Mallopt(M_ARENA_MAX, ArenaMax) == 1;
            return ok;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
