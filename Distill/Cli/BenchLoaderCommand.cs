using System.CommandLine;

namespace YoloDistill.Distill.Cli;

public static class BenchLoaderCommand
{
    public static Command Create() => NotBuilt.Create("loader", "Images per second of the training loader");
}
