using System.CommandLine;

namespace YoloDistill.Distill.Cli;

public static class BenchDistillStepCommand
{
    public static Command Create() => NotBuilt.Create("distill-step", "Time of one distillation step");
}
