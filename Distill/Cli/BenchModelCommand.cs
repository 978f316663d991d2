using System.CommandLine;

namespace YoloDistill.Distill.Cli;

public static class BenchModelCommand
{
    public static Command Create() => NotBuilt.Create("model", "Parameters and GFLOPs of a model scale");
}
