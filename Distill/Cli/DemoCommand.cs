using System.CommandLine;

namespace YoloDistill.Distill.Cli;

public static class DemoCommand
{
    public static Command Create() => NotBuilt.Create("demo", "Run the whole mission end to end on the built-in synthetic data");
}
