using System.CommandLine;

namespace YoloDistill.Distill.Cli;

public static class ValCommand
{
    public static Command Create() => NotBuilt.Create("val", "Evaluate weights on a COCO-format split (COCO mAP and Ultralytics metrics)");
}
