using System.Runtime.InteropServices;
using TorchSharp;

namespace YoloDistill.Detector.Common;

/// <summary>
/// The machine a run was timed on: CPU model, logical cores, torch intra-op threads, memory, and the widest vector
/// instruction set libtorch's CPU kernels use there (it changes speed, and summation order: see the README).
/// </summary>
public sealed record MachineInfo(string CpuModel, int Cores, int TorchThreads, double MemoryGiB, string Os)
{
    /// <summary>avx512 (with avx512_bf16 / amx when present), avx2, or the architecture (/proc/cpuinfo's flags).</summary>
    public string VectorIsa { get; init; } = "";

    public static MachineInfo Current() => new(ReadCpuModel(), Environment.ProcessorCount, torch.get_num_threads(),
        GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024), RuntimeInformation.OSDescription) { VectorIsa = ReadVectorIsa() };

    /// <summary>The 1-minute load average (Linux), or null: wall-clock figures mean little on a busy machine.</summary>
    public static double? LoadAverage()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        catch (FormatException) { return null; }
    }

    static string ReadVectorIsa()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("flags", StringComparison.Ordinal) && line.IndexOf(':') is var i and >= 0)
                {
                    var flags = line[(i + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
                    if (flags.Contains("avx512f"))
                        return "avx512" + (flags.Contains("avx512_bf16") ? "+bf16" : "") + (flags.Contains("amx_tile") ? "+amx" : "");
                    return flags.Contains("avx2") ? "avx2" : RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
                }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
    }

    public override string ToString() =>
        $"{CpuModel}, {Cores} {(Cores == 1 ? "core" : "cores")}, {TorchThreads} torch {(TorchThreads == 1 ? "thread" : "threads")}, {MemoryGiB:0.#} GiB memory";

    /// <summary>/proc/cpuinfo's first "model name" (Linux), else the architecture.</summary>
    static string ReadCpuModel()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is var i and >= 0)
                    return line[(i + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
