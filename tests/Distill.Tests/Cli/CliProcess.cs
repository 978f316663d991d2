using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using YoloDistill.Distill.Cli;

namespace YoloDistill.Distill.Tests.Cli;

/// <summary>
/// yolo-distill as a real child process (`dotnet yolo-distill.dll ...`, the copy in the test's output folder), for
/// what only a process shows: POSIX signals and exit codes. Output (stdout and stderr together) is collected as it comes.
/// </summary>
sealed class CliProcess : IDisposable
{
    public const int SIGTERM = 15;

    readonly Process _p;
    readonly StringBuilder _output = new();

    CliProcess(Process p) => _p = p;

    public static CliProcess Start(string workingDirectory, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(typeof(CliRunner).Assembly.Location);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["MALLOC_ARENA_MAX"] = "2";
        var c = new CliProcess(new Process { StartInfo = psi });
        c._p.OutputDataReceived += (_, e) => c.Append(e.Data);
        c._p.ErrorDataReceived += (_, e) => c.Append(e.Data);
        c._p.Start();
        c._p.BeginOutputReadLine();
        c._p.BeginErrorReadLine();
        return c;
    }

    void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>Waits until <paramref name="condition"/> holds; fails if the process ends first or the time runs out.</summary>
    public void WaitUntil(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (_p.HasExited) throw new Xunit.Sdk.XunitException($"the process ended (exit {_p.ExitCode}) before {what}:\n{Output}");
            if (clock.Elapsed > timeout) throw new Xunit.Sdk.XunitException($"no {what} after {timeout.TotalSeconds} s:\n{Output}");
            Thread.Sleep(20);
        }
    }

    public void Signal(int signal)
    {
        if (kill(_p.Id, signal) != 0) throw new InvalidOperationException($"kill({_p.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public int WaitForExit(TimeSpan timeout)
    {
        if (!_p.WaitForExit(timeout))
        {
            _p.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"the process did not end within {timeout.TotalSeconds} s:\n{Output}");
        }
        _p.WaitForExit(); // drains the output
        return _p.ExitCode;
    }

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int sig);

    public void Dispose()
    {
        if (!_p.HasExited) _p.Kill(entireProcessTree: true);
        _p.Dispose();
    }
}
