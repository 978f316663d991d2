using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using YoloDistill.Detector.Training;

namespace YoloDistill.Distill.Cli;

/// <summary>yolo-distill train: Ultralytics v7.0 train.py on a COCO-format folder, with a progress bar per epoch.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var d = new TrainOptions();
        var data = new Option<string?>("--data") { Description = "Dataset root in COCO layout (<root>/<split>/ images, <root>/annotations/instances_<split>.json)" };
        var trainSplit = new Option<string>("--train-split") { Description = "Training split", DefaultValueFactory = _ => d.TrainSplit };
        var valSplit = new Option<string>("--val-split") { Description = "Validation split", DefaultValueFactory = _ => d.ValSplit };
        var weights = new Option<string?>("--weights") { Description = "Initial weights (.pt, .safetensors, .ckpt); layers whose shapes fit are kept (all but Detect's outputs when nc differs)" };
        var cfg = new Option<string>("--cfg") { Description = "Model when training from scratch: yolov5n, yolov5s, yolov5m, yolov5l, yolov5x", DefaultValueFactory = _ => d.Cfg };
        var hyp = new Option<string?>("--hyp") { Description = "Hyperparameter yaml (Ultralytics keys); default hyp.scratch-low" };
        var epochs = new Option<int>("--epochs") { Description = "Total training epochs", DefaultValueFactory = _ => d.Epochs };
        var batch = new Option<int>("--batch-size", "--batch") { Description = "Images per batch (gradients accumulate to 64)", DefaultValueFactory = _ => d.BatchSize };
        var img = new Option<int>("--img", "--imgsz", "--img-size") { Description = "Train and val image size (pixels)", DefaultValueFactory = _ => d.ImgSize };
        var rect = new Option<bool>("--rect") { Description = "Rectangular training batches" };
        var resume = new Option<string?>("--resume") { Description = "Resume the run in this folder from its weights/last.ckpt" };
        var nosave = new Option<bool>("--nosave") { Description = "Only save the final checkpoint" };
        var noval = new Option<bool>("--noval") { Description = "Only validate the final epoch" };
        var noplots = new Option<bool>("--noplots") { Description = "Write no plots" };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto", DefaultValueFactory = _ => d.Device };
        var multiScale = new Option<bool>("--multi-scale") { Description = "Vary image size +/- 50% per batch" };
        var optimizer = new Option<OptimizerKind>("--optimizer") { Description = "SGD, Adam or AdamW", DefaultValueFactory = _ => d.Optimizer };
        var workers = new Option<int>("--workers") { Description = "Loader threads (capped by cores and batch size)", DefaultValueFactory = _ => d.Workers };
        var project = new Option<string>("--project") { Description = "Runs folder", DefaultValueFactory = _ => "runs" };
        var output = new Option<string?>("--out") { Description = "Run folder (default <project>/train/exp, exp2, ...)" };
        var cosLr = new Option<bool>("--cos-lr") { Description = "Cosine lr schedule instead of linear" };
        var labelSmoothing = new Option<double>("--label-smoothing") { Description = "Label smoothing epsilon", DefaultValueFactory = _ => d.LabelSmoothing };
        var patience = new Option<int>("--patience") { Description = "EarlyStopping patience (epochs without improvement; 0 = off)", DefaultValueFactory = _ => d.Patience };
        var freeze = new Option<int[]>("--freeze") { Description = "Freeze layers: backbone=10, first3=0 1 2", DefaultValueFactory = _ => d.Freeze, AllowMultipleArgumentsPerToken = true };
        var savePeriod = new Option<int>("--save-period") { Description = "Save a checkpoint every N epochs (-1 = off)", DefaultValueFactory = _ => d.SavePeriod };
        var seed = new Option<int>("--seed") { Description = "Global training seed", DefaultValueFactory = _ => d.Seed };
        var closeMosaic = new Option<int>("--close-mosaic") { Description = "Disable mosaic for the final N epochs (0 = never, as v7.0)", DefaultValueFactory = _ => d.CloseMosaic };
        var valEvery = new Option<int>("--val-every") { Description = "Validate every N epochs (the last is always validated)", DefaultValueFactory = _ => d.ValEvery };
        var cache = new Option<bool>("--cache") { Description = "Cache decoded images in RAM" };

        var cmd = new Command("train", "Train a YOLOv5 detector on a COCO-format folder (Ultralytics v7.0 recipe)");
        foreach (var o in new Option[] { data, trainSplit, valSplit, weights, cfg, hyp, epochs, batch, img, rect, resume, nosave, noval, noplots, device,
                                         multiScale, optimizer, workers, project, output, cosLr, labelSmoothing, patience, freeze, savePeriod, seed,
                                         closeMosaic, valEvery, cache })
            cmd.Options.Add(o);
        cmd.SetAction((pr, ct) =>
        {
            var resumeDir = pr.GetValue(resume);
            Trainer trainer;
            if (!string.IsNullOrEmpty(resumeDir))
            {
                if (!Directory.Exists(resumeDir)) throw new DirectoryNotFoundException($"--resume {resumeDir}: run folder not found.");
                trainer = Trainer.Resume(resumeDir, adjust: o => o with { Device = pr.GetValue(device)!, Workers = pr.GetValue(workers) });
            }
            else
            {
                var root = pr.GetValue(data);
                if (string.IsNullOrEmpty(root)) throw new ArgumentException("--data is required (a dataset root in COCO layout), unless --resume is given.");
                if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"--data {root}: dataset root not found.");
                var h = pr.GetValue(hyp) is { Length: > 0 } hp ? HypYaml.Load(hp) : new Hyp();
                var dir = RunDirectory.Resolve(pr.GetValue(output), "train", pr.GetValue(project)!);
                var options = new TrainOptions
                {
                    Data = root, TrainSplit = pr.GetValue(trainSplit)!, ValSplit = pr.GetValue(valSplit)!, Weights = pr.GetValue(weights),
                    Cfg = pr.GetValue(cfg)!, Epochs = pr.GetValue(epochs), BatchSize = pr.GetValue(batch), ImgSize = pr.GetValue(img),
                    Rect = pr.GetValue(rect), NoSave = pr.GetValue(nosave), NoVal = pr.GetValue(noval), NoPlots = pr.GetValue(noplots),
                    Device = pr.GetValue(device)!, MultiScale = pr.GetValue(multiScale), Optimizer = pr.GetValue(optimizer),
                    Workers = pr.GetValue(workers), CosLr = pr.GetValue(cosLr), LabelSmoothing = pr.GetValue(labelSmoothing),
                    Patience = pr.GetValue(patience), Freeze = pr.GetValue(freeze)!, SavePeriod = pr.GetValue(savePeriod), Seed = pr.GetValue(seed),
                    CloseMosaic = pr.GetValue(closeMosaic), ValEvery = pr.GetValue(valEvery), Cache = pr.GetValue(cache) ? "ram" : null, SaveDir = dir,
                };
                trainer = new Trainer(options, h);
            }
            using (trainer)
                return Task.FromResult(Run(trainer, ct));
        });
        return cmd;
    }

    static int Run(Trainer t, CancellationToken ct)
    {
        var o = t.Options;
        AnsiConsole.MarkupLine($"[bold]yolo-distill train[/] {Markup.Escape(t.Config.ModelName)} nc={t.Config.Nc} img={o.ImgSize} batch={o.BatchSize} " +
                               $"accumulate={o.Accumulate} epochs={o.Epochs} device={Markup.Escape(o.Device)} -> [bold]{Markup.Escape(o.SaveDir)}[/]");
        AnsiConsole.MarkupLine("[grey]hyperparameters:[/] " + Markup.Escape(HypYaml.ToYaml(t.Hyp).Replace("\n", ", ").TrimEnd(',', ' ')));
        foreach (var n in t.Notes) AnsiConsole.MarkupLine("[grey]" + Markup.Escape(n) + "[/]");
        AnsiConsole.MarkupLine($"[grey]{t.BatchesPerEpoch} batches per epoch, {t.WarmupIterations} warmup iterations[/]");

        TrainSummary? summary = null;
        var rows = new List<TrainEpochProgress>();
        try
        {
            AnsiConsole.Progress().AutoClear(false).HideCompleted(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    ProgressTask? task = null;
                    int taskEpoch = -1;
                    t.StepProgress = new InlineProgress<TrainStepProgress>(p =>
                    {
                        if (task is null || taskEpoch != p.Epoch)
                        {
                            task = ctx.AddTask($"{p.Epoch}/{p.Epochs - 1}", maxValue: p.Batches);
                            taskEpoch = p.Epoch;
                        }
                        var extra = string.Concat(p.Extra.Select(x => $" {x:0.0000}"));
                        task.Description = $"{p.Epoch}/{p.Epochs - 1}  box {p.Box:0.0000} obj {p.Obj:0.0000} cls {p.Cls:0.0000}{extra}  " +
                                           $"{p.Instances} inst  {p.ImgSize}px  {p.ImagesPerSecond:0.0} img/s  ETA {p.EpochEta:mm\\:ss}  {p.RssBytes / 1e9:0.00}G";
                        task.Value = p.Batch;
                    });
                    t.EpochProgress = new InlineProgress<TrainEpochProgress>(e =>
                    {
                        rows.Add(e);
                        var r = e.Result;
                        var pr = double.IsNaN(r.Precision) ? "" : $" P {r.Precision:0.000} R {r.Recall:0.000}";
                        ctx.AddTask(Markup.Escape(e.Validated
                            ? $"   val{pr} mAP50 {r.Map50:0.000} mAP50-95 {r.Map5095:0.000}  fitness {e.Fitness:0.0000}{(e.IsBest ? "  best" : "")}"
                            : "   (not validated)"), maxValue: 1).Value = 1;
                    });
                    summary = t.Run(ct);
                });
        }
        catch (TrainingDivergedException e)
        {
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return 1;
        }

        var s = summary!;
        var table = new Table().Border(TableBorder.Rounded).Title("training summary")
            .AddColumns("epoch", "box", "obj", "cls", "P", "R", "mAP50", "mAP50-95", "val box", "val obj", "val cls", "lr0");
        foreach (var e in rows)
        {
            var r = e.Result;
            string F(double v, string f = "0.0000") => double.IsNaN(v) ? "-" : v.ToString(f, CultureInfo.InvariantCulture);
            table.AddRow((r.Epoch == s.BestEpoch ? "[bold]" : "") + r.Epoch + (r.Epoch == s.BestEpoch ? "*[/]" : ""),
                F(r.TrainBox), F(r.TrainObj), F(r.TrainCls), F(r.Precision, "0.000"), F(r.Recall, "0.000"), F(r.Map50, "0.000"),
                F(r.Map5095, "0.000"), F(r.ValBox), F(r.ValObj), F(r.ValCls), F(r.Lr0, "0.00000"));
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"{s.EpochsCompleted} epochs in {s.Elapsed:hh\\:mm\\:ss}{(s.StoppedEarly ? " (stopped early: no improvement)" : "")}; " +
                               $"best fitness {s.BestFitness:0.0000} at epoch {s.BestEpoch}");
        AnsiConsole.MarkupLine($"weights: [bold]{Markup.Escape(s.LastCheckpoint)}[/], [bold]{Markup.Escape(s.BestCheckpoint)}[/]; results: {Markup.Escape(Path.Combine(s.SaveDir, "results.csv"))}");
        return 0;
    }
}
