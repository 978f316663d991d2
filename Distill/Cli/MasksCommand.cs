using System.CommandLine;

namespace YoloDistill.Distill.Cli;

public static class MasksCommand
{
    public static Command Create() => NotBuilt.Create("masks", "Render and save the FGFI imitation masks of a dataset split");
}
