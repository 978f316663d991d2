using System.CommandLine;

namespace YoloDistill.Distill.Cli;

public static class DatasetCommand
{
    public static Command Create() => NotBuilt.Create("dataset", "Dataset tools: check, convert, synth, synth-video");
}
