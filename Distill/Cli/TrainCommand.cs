using System.CommandLine;

namespace YoloDistill.Distill.Cli;

public static class TrainCommand
{
    public static Command Create() => NotBuilt.Create("train", "Train a YOLOv5 detector on a COCO-format folder");
}
