using System.CommandLine;

namespace YoloDistill.Distill.Cli;

public static class DetectCommand
{
    public static Command Create() => NotBuilt.Create("detect", "Run detection on images, a folder, a video or a camera");
}
