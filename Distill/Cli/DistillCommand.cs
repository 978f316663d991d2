using System.CommandLine;

namespace YoloDistill.Distill.Cli;

public static class DistillCommand
{
    public static Command Create() => NotBuilt.Create("distill", "Distill a frozen teacher into a student (FGFI, CWD, KD)");
}
