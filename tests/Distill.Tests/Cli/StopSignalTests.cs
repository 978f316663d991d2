using System.Runtime.InteropServices;
using YoloDistill.Distill.Cli;

namespace YoloDistill.Distill.Tests.Cli;

public class StopSignalTests
{
    [Fact]
    public void First_signal_cancels_the_token_and_a_second_ends_at_once_with_its_code()
    {
        var exits = new List<int>();
        using var stop = StopSignal.Manual(exits.Add);
        stop.Attach("train", stopsAtSafePoints: true);
        stop.Request(PosixSignal.SIGINT);
        Assert.True(SpinWait.SpinUntil(() => stop.Token.IsCancellationRequested, 5000));
        Assert.Empty(exits);
        Assert.Equal(ExitCodes.Interrupted, stop.ExitCode);
        Assert.Equal("SIGINT", stop.SignalName);
        stop.Request(PosixSignal.SIGINT);
        Assert.Equal([130], exits);
    }

    [Fact]
    public void A_command_without_safe_points_is_ended_by_the_first_signal()
    {
        var exits = new List<int>();
        using var stop = StopSignal.Manual(exits.Add);
        stop.Attach("dataset check", stopsAtSafePoints: false);
        stop.Request(PosixSignal.SIGTERM);
        Assert.Equal([143], exits);
    }

    [Fact]
    public void Exit_codes_follow_the_shell_convention()
    {
        Assert.Equal(128 + 2, ExitCodes.ForSignal(PosixSignal.SIGINT));
        Assert.Equal(128 + 15, ExitCodes.ForSignal(PosixSignal.SIGTERM));
    }

    [Fact]
    public void Interruption_line_says_where_what_and_how_to_continue()
    {
        var i = new Interruption("in epoch 3/9 after batch 2/5", "the last completed epoch (2) is saved in runs/x/weights/last.ckpt",
            "yolo-distill train --resume runs/x");
        Assert.Equal("stopped by SIGTERM in epoch 3/9 after batch 2/5; the last completed epoch (2) is saved in runs/x/weights/last.ckpt; " +
                     "to continue: yolo-distill train --resume runs/x", i.Line("SIGTERM"));
    }
}
