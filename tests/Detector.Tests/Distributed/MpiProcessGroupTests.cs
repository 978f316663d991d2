using System.Diagnostics;
using System.Text.Json;
using YoloDistill.Detector.Distributed;
using YoloDistill.Tests;

namespace YoloDistill.Detector.Tests.Distributed;

/// <summary>
/// Two ranks over loopback under Open MPI's mpirun (tests/MpiProbe, one JSON line per rank): the collectives give the
/// same, right values on both ranks, and a rank that fails or is killed ends the job instead of leaving the other
/// waiting. Needs Open MPI (scripts/setup.sh installs it).
/// </summary>
public class MpiProcessGroupTests
{
    static string Probe()
    {
        // The probe is built beside this test assembly's configuration (bin/<Configuration>/net10.0).
        var here = Path.GetDirectoryName(typeof(MpiProcessGroupTests).Assembly.Location)!;
        var config = new DirectoryInfo(here).Parent!.Name;
        var dll = Path.Combine(RefData.RepoRoot, "tests", "MpiProbe", "bin", config, "net10.0", "MpiProbe.dll");
        Assert.True(File.Exists(dll), $"{dll} not built (dotnet build yolo-distill.sln builds it)");
        return dll;
    }

    static (int Code, string Out, TimeSpan Took) MpiRun(string mode, int timeoutSeconds = 60)
    {
        Assert.True(File.Exists("/usr/bin/mpirun") || File.Exists("/usr/local/bin/mpirun"),
            "Open MPI's mpirun is not installed: bash scripts/setup.sh installs it (Debian: openmpi-bin libopenmpi3)");
        var psi = new ProcessStartInfo("mpirun") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--oversubscribe", "-np", "2", "dotnet", Probe(), mode }) psi.ArgumentList.Add(a);
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        psi.Environment["OMP_NUM_THREADS"] = "1";
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"mpirun {mode} did not end within {timeoutSeconds} s (a rank is waiting forever)");
        }
        return (p.ExitCode, stdout.Result + stderr.Result, clock.Elapsed);
    }

    [Fact]
    public void Two_ranks_average_broadcast_and_agree_and_take_disjoint_shards()
    {
        var (code, output, _) = MpiRun("ok");
        Assert.True(code == 0, output);
        var lines = output.Split('\n').Where(l => l.Contains("{\"rank\"")).Select(l => l[l.IndexOf('{')..]).ToArray();
        Assert.Equal(2, lines.Length);
        var ranks = lines.Select(l => JsonDocument.Parse(l).RootElement).OrderBy(e => e.GetProperty("rank").GetInt32()).ToArray();
        var shards = new List<int>();
        foreach (var r in ranks)
        {
            Assert.Equal(2, r.GetProperty("world").GetInt32());
            Assert.Equal([1.5f, 1.5f, 1.5f], r.GetProperty("a").EnumerateArray().Select(x => x.GetSingle())); // mean of 1 and 2
            Assert.Equal([0f, 1.5f, 3f, 4.5f], r.GetProperty("b").EnumerateArray().Select(x => x.GetSingle()));
            Assert.Equal([5L, 5L], r.GetProperty("c").EnumerateArray().Select(x => x.GetInt64()));           // rank 0's
            Assert.Equal(7, r.GetProperty("max").GetInt64());
            shards.AddRange(r.GetProperty("shard").EnumerateArray().Select(x => x.GetInt32()));
        }
        Assert.Equal(Enumerable.Range(0, 11), shards.Distinct().Order());
        Assert.Equal(12, shards.Count);
    }

    [Theory]
    [InlineData("exit", 3)]
    [InlineData("kill", 137)]
    public void A_rank_that_fails_or_is_killed_ends_the_other_within_seconds(string mode, int expected)
    {
        var (code, output, took) = MpiRun(mode, timeoutSeconds: 60);
        Assert.True(code == expected, $"exit code {code}, expected {expected}: {output}");
        Assert.True(took < TimeSpan.FromSeconds(30), $"took {took.TotalSeconds:0.0} s");
        Assert.DoesNotContain("\"rank\":0", output); // rank 0 never got past the first collective
    }

    [Fact]
    public void Without_a_launcher_the_process_is_rank_0_of_1()
    {
        Assert.Equal(1, ProcessGroup.LaunchedWorldSize());
        var pg = ProcessGroup.Current;
        Assert.IsType<SingleProcess>(pg);
        Assert.Equal((0, 1), (pg.Rank, pg.WorldSize));
        Assert.Equal(5, pg.AllReduceMax(5));
    }
}
