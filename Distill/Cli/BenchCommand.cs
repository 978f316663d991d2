using System.CommandLine;

namespace YoloDistill.Distill.Cli;

/// <summary>yolo-distill bench: measurements that write their results to files, never run inside tests.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var cmd = new Command("bench", "Benchmarks: model, loader, train-step, distill-step, infer, api, cocoeval; results are written to files.");
        cmd.Subcommands.Add(BenchModelCommand.Create());
        cmd.Subcommands.Add(BenchLoaderCommand.Create());
        cmd.Subcommands.Add(BenchTrainStepCommand.Create());
        cmd.Subcommands.Add(BenchDistillStepCommand.Create());
        cmd.Subcommands.Add(BenchInferCommand.Create());
        cmd.Subcommands.Add(BenchApiCommand.Create());
        cmd.Subcommands.Add(BenchCocoEvalCommand.Create());
        return cmd;
    }
}
