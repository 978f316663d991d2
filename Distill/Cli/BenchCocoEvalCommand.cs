using System.CommandLine;

namespace YoloDistill.Distill.Cli;

public static class BenchCocoEvalCommand
{
    public static Command Create() => NotBuilt.Create("cocoeval", "Time of the COCO evaluator on a detection file");
}
