using System.CommandLine;
using YoloDistill.Detector.Training;
using YoloDistill.Distill.Distillation;

namespace YoloDistill.Distill.Cli;

/// <summary>
/// `train --resume DIR` and `distill --resume DIR`, one path: the run's checkpoint is read once, the trainer rebuilds
/// the run's extensions from what it records (a distill run continues as a distill run with its teacher, losses,
/// settings, adapters and schedule position), and only --device, --workers and --threads may differ from the run's.
/// </summary>
static class ResumedRun
{
    /// <param name="title">The command, for the console and the resume hint ("yolo-distill train").</param>
    /// <param name="check">Refuses a run the verb does not continue, before anything is built (distill: a plain train run).</param>
    public static int Run(string runDir, ParseResult pr, TrainArguments args, string title, CancellationToken ct, Action<ResumePoint>? check = null)
    {
        if (!Directory.Exists(runDir)) throw new DirectoryNotFoundException($"--resume {runDir}: run folder not found.");
        Trainer trainer;
        // The checkpoint's tensors are let go as soon as the trainer has taken them.
        using (var point = ResumePoint.Read(runDir))
        {
            check?.Invoke(point);
            trainer = Trainer.Resume(point, adjust: o => o with { Device = pr.GetValue(args.Device)!, Workers = pr.GetValue(args.Workers) });
        }
        using (trainer)
        {
            foreach (var ext in trainer.Extensions.OfType<DistillationExtension>()) DistillCommand.Describe(trainer, ext);
            return TrainingConsole.Run(trainer, title, ct);
        }
    }
}
