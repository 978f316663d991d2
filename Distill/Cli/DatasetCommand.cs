using System.CommandLine;
using Spectre.Console;
using YoloDistill.Detector.Data;

namespace YoloDistill.Distill.Cli;

/// <summary>yolo-distill dataset: check, convert, synth, synth-video.</summary>
public static class DatasetCommand
{
    public static Command Create()
    {
        var cmd = new Command("dataset", "Dataset tools: check, convert, synth, synth-video");
        cmd.Subcommands.Add(Check());
        cmd.Subcommands.Add(Convert());
        cmd.Subcommands.Add(Synth());
        cmd.Subcommands.Add(SynthVideoCmd());
        cmd.Subcommands.Add(DatasetAnchorsCommand.Create());
        return cmd;
    }

    static Command Check()
    {
        var data = new Option<string>("--data") { Description = "Dataset root (COCO layout: <root>/<split>/, <root>/annotations/instances_<split>.json)", Required = true };
        var split = new Option<string>("--split") { Description = "Split name", DefaultValueFactory = _ => "train" };
        var skipBad = new Option<bool>("--skip-bad") { Description = "Accept the dataset when leaving out the bad images/annotations makes it usable" };
        var noDecode = new Option<bool>("--no-decode") { Description = "Check headers and JPEG end markers only, do not decode every image" };
        var cmd = new Command("check", "Validate a COCO dataset: JSON structure and references, every image file; prints counts and problems");
        cmd.Options.Add(data);
        cmd.Options.Add(split);
        cmd.Options.Add(skipBad);
        cmd.Options.Add(noDecode);
        cmd.SetAction(pr =>
        {
            var report = DatasetChecker.Check(pr.GetValue(data)!, pr.GetValue(split)!, decode: !pr.GetValue(noDecode));
            Print(report);
            bool skip = pr.GetValue(skipBad);
            if (!report.HasFatal)
            {
                AnsiConsole.MarkupLine("[green]OK[/]: no fatal problems.");
                return 0;
            }
            if (skip && report.UsableWithSkipBad)
            {
                AnsiConsole.MarkupLine($"[yellow]usable with --skip-bad[/]: {report.BadImages.Count} image(s) and the bad annotations listed above will be left out.");
                return 0;
            }
            var first = report.Problems.First(p => p.Fatal && !(skip && p.Skippable));
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(first.File)}: {Markup.Escape(first.Message)}");
            return 1;
        });
        return cmd;
    }

    static void Print(CheckReport r)
    {
        var counts = new Table().Title("dataset").AddColumn("").AddColumn(new TableColumn("value").RightAligned());
        counts.AddRow("images folder", Markup.Escape(r.ImagesDir));
        counts.AddRow("annotations", Markup.Escape(r.AnnotationsPath));
        counts.AddRow("images", r.Images.ToString());
        counts.AddRow("images without boxes", r.ImagesWithoutBoxes.ToString());
        counts.AddRow("boxes (training targets)", r.Boxes.ToString());
        counts.AddRow("crowd boxes (evaluation only)", r.CrowdBoxes.ToString());
        counts.AddRow("boxes dropped (< 1 px / non-positive)", r.DroppedBoxes.ToString());
        counts.AddRow("small / medium / large (area < 32², < 96², larger)", $"{r.Small} / {r.Medium} / {r.Large}");
        counts.AddRow("classes (with boxes / declared)", $"{r.BoxesPerClass.Count(c => c > 0)} / {r.Names.Count}");
        AnsiConsole.Write(counts);
        if (r.Names.Count > 0)
        {
            var perClass = new Table().Title("boxes per class").AddColumn("class").AddColumn("name").AddColumn(new TableColumn("boxes").RightAligned());
            for (int c = 0; c < r.Names.Count; c++) perClass.AddRow(c.ToString(), Markup.Escape(r.Names[c]), r.BoxesPerClass[c].ToString());
            AnsiConsole.Write(perClass);
        }
        if (r.Problems.Count > 0)
        {
            var problems = new Table().Title($"{r.Problems.Count} problem(s)").AddColumn("severity").AddColumn("file").AddColumn("problem");
            foreach (var p in r.Problems)
                problems.AddRow(p.Fatal ? (p.Skippable ? "[red]fatal[/] (skippable)" : "[red]fatal[/]") : "[yellow]warning[/]", Markup.Escape(p.File), Markup.Escape(p.Message));
            AnsiConsole.Write(problems);
        }
    }

    static Command Convert()
    {
        var from = new Option<string>("--from") { Description = "Source format (only 'yolo')", DefaultValueFactory = _ => "yolo" };
        var images = new Option<string>("--images") { Description = "Folder of images", Required = true };
        var labels = new Option<string>("--labels") { Description = "Folder of YOLO .txt labels (same stem as the images)", Required = true };
        var names = new Option<string>("--names") { Description = "Class names: a text file, one per line, or a YOLO data yaml with 'names'", Required = true };
        var output = new Option<string>("--out") { Description = "Output dataset root (COCO layout)", Required = true };
        var split = new Option<string?>("--split") { Description = "Split name (default: the images folder's name)" };
        var cmd = new Command("convert", "Convert a YOLO txt dataset to COCO JSON");
        foreach (var o in new Option[] { from, images, labels, names, output, split }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            if (!string.Equals(pr.GetValue(from), "yolo", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--from '{pr.GetValue(from)}' is not supported (only 'yolo')");
            var imagesDir = pr.GetValue(images)!;
            var s = pr.GetValue(split) ?? new DirectoryInfo(imagesDir).Name;
            var r = YoloToCoco.Convert(imagesDir, pr.GetValue(labels)!, pr.GetValue(names)!, pr.GetValue(output)!, s);
            AnsiConsole.MarkupLine($"wrote [green]{Markup.Escape(r.AnnotationsJson)}[/]: {r.Images} images ({r.ImagesWithoutLabels} without a label file), {r.Boxes} boxes, {r.Names.Count} classes; images in {Markup.Escape(r.ImagesDir)}");
            return 0;
        });
        return cmd;
    }

    static Command Synth()
    {
        var output = new Option<string>("--out") { Description = "Output dataset root, e.g. datasets/shapes", Required = true };
        var seed = new Option<int>("--seed") { Description = "Random seed (same seed = same files)", DefaultValueFactory = _ => 0 };
        var train = new Option<int>("--train") { Description = "Training images", DefaultValueFactory = _ => 800 };
        var val = new Option<int>("--val") { Description = "Validation images", DefaultValueFactory = _ => 200 };
        var img = new Option<int>("--img") { Description = "Image size (square)", DefaultValueFactory = _ => 320 };
        var domain = new Option<string>("--domain") { Description = "shapes: the built-in target set (8 classes in red, green, blue); pretrain: a separate 10-class set in other colours for pretraining", DefaultValueFactory = _ => "shapes" };
        var cmd = new Command("synth", "Write a deterministic synthetic COCO dataset of coloured shapes (classes, distractors, occlusion, textured backgrounds)");
        foreach (var o in new Option[] { output, seed, train, val, img, domain }) cmd.Options.Add(o);
        cmd.SetAction((pr, ct) =>
        {
            var opts = new SynthOptions { Train = pr.GetValue(train), Val = pr.GetValue(val), ImgSize = pr.GetValue(img), Domain = SynthDomain.Parse(pr.GetValue(domain)!) };
            SynthSummary? s = null;
            int written = 0;
            try
            {
                AnsiConsole.Progress().Start(ctx =>
                {
                    var task = ctx.AddTask("synth images", maxValue: opts.Train + opts.Val);
                    // One report per image written, from the writing threads.
                    s = SynthDataset.Generate(pr.GetValue(output)!, pr.GetValue(seed), opts,
                        new InlineProgress<int>(_ => task.Value = Interlocked.Increment(ref written)), ct);
                    task.Value = task.MaxValue;
                });
            }
            catch (OperationCanceledException e) when (ct.IsCancellationRequested)
            {
                throw new Interruption($"after {written} of {opts.Train + opts.Val} images",
                    $"{Interruption.Show(pr.GetValue(output)!)} is incomplete (a split's annotations are written only after all its images)",
                    $"{Interruption.SameCommand} (the same seed writes the same files)", e);
            }
            AnsiConsole.MarkupLine($"wrote [green]{Markup.Escape(s!.Root)}[/]: train {s.TrainImages} images / {s.TrainBoxes} boxes, val {s.ValImages} images / {s.ValBoxes} boxes; classes {Markup.Escape(string.Join(", ", s.Names))}");
            return Task.FromResult(0);
        });
        return cmd;
    }

    static Command SynthVideoCmd()
    {
        var output = new Option<string>("--out") { Description = "Output .mp4 file", Required = true };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 0 };
        var frames = new Option<int>("--frames") { Description = "Number of frames", DefaultValueFactory = _ => 150 };
        var fps = new Option<double>("--fps") { Description = "Frames per second", DefaultValueFactory = _ => 25 };
        var size = new Option<string>("--size") { Description = "WIDTHxHEIGHT", DefaultValueFactory = _ => "640x360" };
        var cmd = new Command("synth-video", "Write an mp4 (mp4v) of moving synthetic shapes, for the demo");
        foreach (var o in new Option[] { output, seed, frames, fps, size }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var sz = pr.GetValue(size)!;
            var parts = sz.ToLowerInvariant().Split('x');
            if (parts.Length != 2 || !int.TryParse(parts[0], out int w) || !int.TryParse(parts[1], out int h))
                throw new ArgumentException($"--size '{sz}' must be WIDTHxHEIGHT, e.g. 640x360");
            var file = pr.GetValue(output)!;
            SynthVideo.Generate(file, pr.GetValue(seed), pr.GetValue(frames), pr.GetValue(fps), w, h);
            AnsiConsole.MarkupLine($"wrote [green]{Markup.Escape(file)}[/]: {pr.GetValue(frames)} frames {w}x{h} at {pr.GetValue(fps)} fps");
            return 0;
        });
        return cmd;
    }
}
