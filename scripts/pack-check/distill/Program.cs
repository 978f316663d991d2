using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Training;
using YoloDistill.Distill.Distillation;

// The README's distillation sample: a one-epoch FGFI run of a yolov5n student under a given teacher on a tiny
// synthetic set, followed through IProgress, stoppable with Ctrl-C.
if (args.Length != 2) { Console.Error.WriteLine("usage: consumer TEACHER WORKDIR"); return 2; }
var data = Path.Combine(args[1], "shapes");
SynthDataset.Generate(data, seed: 0, new SynthOptions { Train = 8, Val = 4, ImgSize = 64 });

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
using var run = Distiller.Create(new DistillRunOptions
{
    Teacher = args[0],
    Student = new TrainOptions
    {
        Data = data, TrainSplit = "train", ValSplit = "val", Cfg = "yolov5n", Epochs = 1, BatchSize = 4, ImgSize = 64,
        Workers = 1, Device = "cpu", SaveDir = Path.Combine(args[1], "runs", "distill"),
    },
    Distill = DistillOptions.For("fgfi"),
});
run.EpochProgress = new InlineProgress<TrainEpochProgress>(e =>
    Console.WriteLine($"epoch {e.Result.Epoch}: imitation loss {e.Result.Extra.FirstOrDefault(x => x.Key == "train/imit_loss").Value:0.0000}, mAP50-95 {e.Result.Map5095:0.0000}"));
var summary = run.Run(cts.Token);
Console.WriteLine($"distill: {summary.EpochsCompleted} epochs, best {summary.BestCheckpoint}");
return File.Exists(summary.BestCheckpoint) ? 0 : 1;

