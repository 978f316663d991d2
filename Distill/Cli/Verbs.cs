using System.CommandLine;
using YoloDistill.Detector.Training;
using YoloDistill.Distill.Distillation;

namespace YoloDistill.Distill.Cli;

/// <summary>The verbs of the yolo-distill command, in the order --help lists them.</summary>
public static class Verbs
{
    /// <summary>The yolo-distill root command with every verb (the program and the CLI tests run this).</summary>
    public static RootCommand Root()
    {
        // Before any verb runs: `train --resume` of a distill run rebuilds its distillation through this factory.
        Distiller.RegisterResume();
        var root = new RootCommand("yolo-distill: train YOLOv5 detectors in TorchSharp and distill a large teacher into a small student.");
        foreach (var verb in All()) root.Subcommands.Add(verb);
        root.Options.Add(Verbose());
        return root;
    }

    /// <summary>--verbose, on every verb: the full stack trace of an unexpected error (see <see cref="CliRunner"/>).</summary>
    public static Option<bool> Verbose() => new(CliRunner.VerboseName)
    {
        Description = "On an unexpected error, print the full stack trace (also written to the run folder's error.log)",
        Recursive = true,
    };

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
