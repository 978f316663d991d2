namespace YoloDistill.Distill.Tests;

/// <summary>Runs a command with Console.Out and Console.Error captured (the one-line reports of CliRunner go there).</summary>
static class ConsoleCapture
{
    public static (T Result, string Out, string Err) Run<T>(Func<Task<T>> run)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(TextWriter.Synchronized(o));
        Console.SetError(TextWriter.Synchronized(e));
        try
        {
            return (run().GetAwaiter().GetResult(), o.ToString(), e.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
    }
}
