using System.CommandLine;

namespace YoloDistill.Distill.Cli;

public static class CocoEvalCommand
{
    public static Command Create() => NotBuilt.Create("cocoeval", "Evaluate a COCO results file against COCO annotations, as pycocotools does");
}
