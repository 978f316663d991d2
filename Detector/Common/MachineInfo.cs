using System.Runtime.InteropServices;
using TorchSharp;

namespace YoloDistill.Detector.Common;

/// <summary>The machine a run was timed on: CPU model, logical cores, torch intra-op threads and memory.</summary>
public sealed record MachineInfo(string CpuModel, int Cores, int TorchThreads, double MemoryGiB, string Os)
{
    public static MachineInfo Current() => new(ReadCpuModel(), Environment.ProcessorCount, torch.get_num_threads(),
        GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024), RuntimeInformation.OSDescription);

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
