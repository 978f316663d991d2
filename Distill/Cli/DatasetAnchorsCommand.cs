using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Training;
using YoloDistill.Detector.Weights;

namespace YoloDistill.Distill.Cli;

/// <summary>
/// yolo-distill dataset anchors: how well a model's anchors fit a split's boxes at one or more training sizes (BPR and
/// anchors/target, as AutoAnchor measures before training), and with --evolve the anchors AutoAnchor would evolve.
/// </summary>
public static class DatasetAnchorsCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Dataset root: COCO layout (<root>/<split>/, <root>/annotations/instances_<split>.json) or YOLO txt (<root>/<split>/images and labels)", Required = true };
        var split = new Option<string>("--split") { Description = "Split name", DefaultValueFactory = _ => "train" };
        var img = new Option<int[]>("--img") { Description = "Training image size(s) (long side)", DefaultValueFactory = _ => [640], AllowMultipleArgumentsPerToken = true };
        var model = new Option<string>("--model") { Description = "Model whose default anchors are measured (yolov5n ... yolov5x)", DefaultValueFactory = _ => "yolov5n" };
        var weights = new Option<string?>("--weights") { Description = "Measure the anchors of these weights (.pt, .safetensors or a checkpoint) instead of --model's" };
        var anchorT = new Option<double>("--anchor-t") { Description = "hyp anchor_t (box/anchor side ratio limit)", DefaultValueFactory = _ => 4.0 };
        var evolve = new Option<bool>("--evolve") { Description = "Also run k-means and genetic evolution (kmean_anchors) at each size and print the anchors" };
        var seed = SharedOptions.Seed("Seed of k-means and evolution");
        var generations = new Option<int>("--generations") { Description = "Evolution generations", DefaultValueFactory = _ => 1000 };
        var dump = new Option<string?>("--dump-sizes") { Description = "Write every box's image size and normalised w,h to this CSV" };
        var cmd = new Command("anchors", "Anchor fit of a dataset split (AutoAnchor's BPR and anchors/target) and, with --evolve, evolved anchors");
        foreach (var o in new Option[] { data, split, img, model, weights, anchorT, evolve, seed, generations, dump }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var opts = new AutoAnchorOptions { AnchorT = pr.GetValue(anchorT), Seed = pr.GetValue(seed), Generations = pr.GetValue(generations) };
            opts.Validate();
            var sizesList = pr.GetValue(img) ?? [640];
            if (sizesList.Any(s => s < 32)) throw new ArgumentException($"--img {string.Join(" ", sizesList)}: sizes must be at least 32.");
            var cfg = AnchorsOf(pr.GetValue(model)!, pr.GetValue(weights));
            var sizes = LabelSizes.Load(pr.GetValue(data)!, pr.GetValue(split)!);
            if (sizes.Count == 0) throw new InvalidDataException($"{pr.GetValue(data)}: split '{pr.GetValue(split)}' has no boxes.");
            if (pr.GetValue(dump) is { Length: > 0 } path)
            {
                sizes.WriteCsv(path);
                AnsiConsole.MarkupLine($"wrote [green]{Markup.Escape(path)}[/] ({sizes.Count} boxes)");
            }
            Print(sizes, cfg, sizesList, opts, pr.GetValue(evolve));
            return 0;
        });
        return cmd;
    }

    static ModelConfig AnchorsOf(string model, string? weights)
    {
        if (string.IsNullOrEmpty(weights)) return ModelConfig.FromName(model);
        if (!File.Exists(weights)) throw new FileNotFoundException($"{weights}: weights file not found.", weights);
        if (Checkpoint.IsCheckpoint(weights))
        {
            using var c = Checkpoint.Load(weights);
            return c.Config;
        }
        using var w = WeightsFile.Load(weights);
        return w.Config;
    }

    static void Print(LabelSizes sizes, ModelConfig cfg, int[] imgSizes, AutoAnchorOptions opts, bool evolve)
    {
        var ci = CultureInfo.InvariantCulture;
        AnsiConsole.MarkupLine(Markup.Escape($"{sizes.Count} boxes; anchors {AutoAnchorReport.Format(cfg.AnchorsPx.SelectMany(r => r.Chunk(2)))} (anchor_t {opts.AnchorT.ToString(ci)})"));
        var table = new Table().AddColumn(new TableColumn("img").RightAligned()).AddColumn(new TableColumn("BPR").RightAligned())
            .AddColumn(new TableColumn("anchors/target").RightAligned()).AddColumn("AutoAnchor");
        var evolved = new List<(int Img, AnchorFit Before, EvolvedAnchors E)>();
        foreach (var s in imgSizes)
        {
            var wh = sizes.PixelsAt(s);
            var fit = AnchorFit.Measure(wh, cfg.AnchorsPx.SelectMany(r => r).ToArray(), opts.AnchorT);
            table.AddRow(s.ToString(ci), fit.Bpr.ToString("0.0000", ci), fit.Aat.ToString("0.0000", ci),
                         fit.Bpr > opts.BprThreshold ? "keeps the anchors" : "[yellow]evolves new anchors[/]");
            if (evolve) evolved.Add((s, fit, AnchorEvolution.Run(wh, cfg.AnchorsPx.Sum(r => r.Length) / 2, s, opts)));
        }
        AnsiConsole.Write(table);
        foreach (var (s, before, e) in evolved)
        {
            bool better = e.Fit.Bpr > before.Bpr;
            AnsiConsole.MarkupLine(Markup.Escape(string.Create(ci,
                $"img {s}: evolved (seed {opts.Seed}, {opts.Generations} generations, {e.Elapsed.TotalSeconds:0.00} s): BPR {e.Fit.Bpr:0.0000}, anchors/target {e.Fit.Aat:0.00}, " +
                $"fitness {e.Fit.Fitness:0.0000} (k-means start {e.KMeansFitness:0.0000} on the boxes of 2+ px){(better ? "" : "; not better than the current anchors")}")));
            AnsiConsole.MarkupLine(Markup.Escape("  anchors " + string.Join(",  ", e.Anchors.Select(a => string.Create(ci, $"{a[0]:0.##},{a[1]:0.##}")))));
        }
    }
}
