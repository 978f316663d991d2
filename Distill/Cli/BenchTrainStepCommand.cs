using System.CommandLine;

namespace YoloDistill.Distill.Cli;

public static class BenchTrainStepCommand
{
    public static Command Create() => NotBuilt.Create("train-step", "Time of one training step (forward, loss, backward, optimizer)");
}
