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
            const string title = "yolo-distill train";
            var resumeDir = pr.GetValue(args.Resume);
            // A distill run resumes as one: the trainer rebuilds its distillation from the checkpoint.
            if (!string.IsNullOrEmpty(resumeDir)) return Task.FromResult(ResumedRun.Run(resumeDir, pr, args, title, ct));
            var hyp = args.LoadHyp(pr);
            using var trainer = new Trainer(args.Bind(pr, pr.GetValue(cfg)!, pr.GetValue(weights)), hyp);
            return Task.FromResult(TrainingConsole.Run(trainer, title, ct));
        });
        return cmd;
    }
}
