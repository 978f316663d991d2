using YoloDistill.Detector.Common;
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
        var from = new Option<string>("--from") { Description = "Label format: yolo (txt + names), voc (Pascal VOC XML), coco (a COCO JSON from another tool)", DefaultValueFactory = _ => "yolo" };
        var images = new Option<string>("--images") { Description = "Folder of images", Required = true };
        var labels = new Option<string>("--labels") { Description = "yolo: folder of .txt labels (same stem as the images); voc: folder of .xml files; coco: the JSON file", Required = true };
        var names = new Option<string?>("--names") { Description = "Class names: a text file, one per line, or a YOLO data yaml with 'names' (yolo: required; voc: fixes the class order, default the names found, sorted; coco: unused)" };
        var output = new Option<string>("--out") { Description = "Output dataset root (COCO layout)", Required = true };
        var split = new Option<string?>("--split") { Description = "Split name (default: the images folder's name)" };
        var strict = new Option<bool>("--strict") { Description = "Stop at the first faulty label (zero-size, out of range, duplicate, unknown class, malformed, no image) instead of dropping it with a warning" };
        var cmd = new Command("convert", "Convert YOLO txt, Pascal VOC XML or a tool's COCO JSON into the COCO layout the trainer reads; faulty labels are dropped with a warning (--strict: fatal), and nothing is written unless the whole split converts");
        foreach (var o in new Option[] { from, images, labels, names, output, split, strict }) cmd.Options.Add(o);
        cmd.SetAction((pr, ct) =>
        {
            var imagesDir = pr.GetValue(images)!;
            var opts = new ConvertOptions
            {
                Format = DatasetConverter.ParseFormat(pr.GetValue(from)!),
                Images = imagesDir,
                Labels = pr.GetValue(labels)!,
                Names = pr.GetValue(names),
                Out = pr.GetValue(output)!,
                Split = pr.GetValue(split) ?? new DirectoryInfo(imagesDir).Name,
                Strict = pr.GetValue(strict),
            };
            ConvertSummary r;
            try
            {
                r = DatasetConverter.Convert(opts, ct);
            }
            catch (OperationCanceledException e) when (ct.IsCancellationRequested)
            {
                throw new Interruption("while converting", "nothing was written (the split is built aside and moved into place only when complete)",
                    Interruption.SameCommand, e);
            }
            PrintFaults(r.Faults);
            var difficult = r.Difficult > 0 ? $", {r.Difficult} difficult objects skipped (as Ultralytics' VOC.yaml does)" : "";
            AnsiConsole.MarkupLine($"wrote [green]{Markup.Escape(r.AnnotationsJson)}[/]: {r.Images} images ({r.ImagesWithoutBoxes} without boxes), {r.Boxes} boxes, {r.Names.Count} classes{difficult}; images in {Markup.Escape(r.ImagesDir)}");
            return Task.FromResult(0);
        });
        return cmd;
    }

    /// <summary>One warning per file (its first few faults), then the count of each kind, as Ultralytics' label check reports.</summary>
    static void PrintFaults(IReadOnlyList<LabelFault> faults)
    {
        if (faults.Count == 0) return;
        const int shown = 3;
        foreach (var g in faults.GroupBy(f => f.File))
        {
            var parts = g.Take(shown).Select(f => f.Where.Length == 0 ? f.Detail : $"{f.Where}: {f.Detail}");
            var more = g.Count() > shown ? $"; and {g.Count() - shown} more" : "";
            Console.Error.WriteLine($"warning: {g.Key}: {g.Count()} label{(g.Count() == 1 ? "" : "s")} dropped ({string.Join("; ", parts)}{more})");
        }
        var counts = faults.GroupBy(f => f.Kind).OrderBy(g => g.Key).Select(g => $"{g.Count()} {KindName(g.Key)}");
        Console.Error.WriteLine($"warning: {faults.Count} faulty label{(faults.Count == 1 ? "" : "s")} dropped in {faults.Select(f => f.File).Distinct().Count()} file(s): {string.Join(", ", counts)} (--strict makes them fatal)");
    }

    static string KindName(LabelFaultKind k) => k switch
    {
        LabelFaultKind.Malformed => "malformed",
        LabelFaultKind.Degenerate => "zero-size",
        LabelFaultKind.OutOfRange => "out of range",
        LabelFaultKind.Duplicate => "duplicate",
        LabelFaultKind.UnknownClass => "unknown class",
        LabelFaultKind.MissingImage => "without image",
        _ => k.ToString(),
    };

    static Command Synth()
    {
        var output = new Option<string>("--out") { Description = "Output dataset root, e.g. datasets/shapes", Required = true };
        var seed = SharedOptions.Seed("Random seed (same seed = same files)");
        var train = new Option<int>("--train") { Description = "Training images", DefaultValueFactory = _ => 800 };
        var val = new Option<int>("--val") { Description = "Validation images", DefaultValueFactory = _ => 200 };
        // The size of the images written, not a network input size: its own default.
        var img = new Option<int>("--img") { Description = "Image size of the synthetic images (square)", DefaultValueFactory = _ => 320 };
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
        var seed = SharedOptions.Seed("Random seed");
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
