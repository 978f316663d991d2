using System.CommandLine;
using YoloDistill.Detector.Training;

namespace YoloDistill.Distill.Cli;

/// <summary>yolo-distill train: Ultralytics v7.0 train.py on a COCO-format folder, with a progress bar per epoch.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var d = new TrainOptions();
        var args = new TrainArguments("train");
        var weights = new Option<string?>("--weights") { Description = "Initial weights (.pt, .safetensors, .ckpt); layers whose shapes fit are kept (all but Detect's outputs when nc differs)" };
        var cfg = new Option<string>("--cfg", "--model") { Description = "Model when training from scratch: yolov5n, yolov5s, yolov5m, yolov5l, yolov5x", DefaultValueFactory = _ => d.Cfg };

        var cmd = new Command("train", "Train a YOLOv5 detector on a COCO-format folder (Ultralytics v7.0 recipe)");
        cmd.Options.Add(weights);
        cmd.Options.Add(cfg);
        args.AddTo(cmd);
        cmd.SetAction((pr, ct) =>
        {
            args.ApplyThreads(pr);
            var resumeDir = pr.GetValue(args.Resume);
            Trainer trainer;
            if (!string.IsNullOrEmpty(resumeDir))
            {
                if (!Directory.Exists(resumeDir)) throw new DirectoryNotFoundException($"--resume {resumeDir}: run folder not found.");
                trainer = Trainer.Resume(resumeDir, adjust: o => o with { Device = pr.GetValue(args.Device)!, Workers = pr.GetValue(args.Workers) });
            }
            else
            {
                var hyp = args.LoadHyp(pr);
                trainer = new Trainer(args.Bind(pr, pr.GetValue(cfg)!, pr.GetValue(weights)), hyp);
            }
            using (trainer)
                return Task.FromResult(TrainingConsole.Run(trainer, "yolo-distill train", ct));
        });
        return cmd;
    }
}
