using System.CommandLine;

namespace YoloDistill.Distill.Cli;

/// <summary>The verbs of the yolo-distill command, in the order --help lists them.</summary>
public static class Verbs
{
    public static IEnumerable<Command> All() =>
    [
        TrainCommand.Create(),
        DistillCommand.Create(),
        ValCommand.Create(),
        CocoEvalCommand.Create(),
        DetectCommand.Create(),
        ExportCommand.Create(),
        DatasetCommand.Create(),
        MasksCommand.Create(),
        BenchCommand.Create(),
        DemoCommand.Create(),
    ];
}
