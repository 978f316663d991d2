using System.CommandLine;
using System.Globalization;
using OpenCvSharp;
using Spectre.Console;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Weights;
using YoloDistill.Distill.Distillation;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Cli;

/// <summary>yolo-distill masks: FGFI imitation masks of a split, as pictures and as one safetensors file.</summary>
public static class MasksCommand
{
    static readonly string[] LevelNames = ["P3", "P4", "P5"];
    static readonly ModelConfig DefaultLevels = ModelConfig.FromName("yolov5s");

    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Dataset root (COCO layout: <root>/<split>/, <root>/annotations/instances_<split>.json)", Required = true };
        var split = new Option<string>("--split") { Description = "Split to render", DefaultValueFactory = _ => "val2017" };
        var img = SharedOptions.Img("Square input size the images are letterboxed to (multiple of 32)");
        var psi = new Option<double>("--psi") { Description = "FGFI threshold factor: a cell is on when an anchor has IoU > psi * the box's best IoU", DefaultValueFactory = _ => FgfiLoss.Psi.Default };
        var levels = new Option<string>("--fgfi-levels") { Description = $"Levels a box marks, as distill's option of that name: all, matched or best [default: {FgfiLoss.Levels.Format(FgfiLoss.Levels.Default)}, what training uses]", DefaultValueFactory = _ => FgfiLoss.Levels.Format(FgfiLoss.Levels.Default) };
        var limit = new Option<int?>("--limit") { Description = "Only the first N images" };
        var outDir = new Option<string?>("--out") { Description = "Output folder (default runs/masks/exp, exp2, ...)" };
        var cmd = new Command("masks", "Render and save the FGFI imitation masks of a dataset split (letterboxed, default anchors, no augmentation)");
        foreach (var o in new Option[] { data, split, img, psi, levels, limit, outDir }) cmd.Options.Add(o);
        cmd.SetAction((pr, ct) => Task.FromResult(Run(pr.GetValue(data)!, pr.GetValue(split)!, pr.GetValue(img), pr.GetValue(psi), FgfiLoss.Levels.Parse(pr.GetValue(levels)!), pr.GetValue(limit), pr.GetValue(outDir), ct)));
        return cmd;
    }

    static int Run(string root, string split, int img, double psi, LevelAssignment levels, int? limit, string? outDir, CancellationToken ct)
    {
        if (psi is < 0 or > 1) throw new ArgumentException($"--psi {psi}: must lie in [0, 1].");
        if (limit is <= 0) throw new ArgumentException($"--limit {limit}: must be at least 1.");
        var ds = CocoDataset.Load(root, split);
        var dir = RunDirectory.Resolve(outDir, "masks");
        int total = Math.Min(ds.Count, limit ?? int.MaxValue);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        long on = 0, cells = 0;
        try
        {
            AnsiConsole.Progress().Start(ctx =>
            {
                var task = ctx.AddTask($"masks {split} @{img}", maxValue: total);
                foreach (var im in DatasetMasks.Compute(ds, img, psi, limit, levels: levels))
                {
                    using (im)
                    {
                        using var picture = MaskRenderer.Render(im.Input, im.Levels, im.Boxes, LevelNames);
                        var name = Path.GetFileNameWithoutExtension(im.Path);
                        Cv2.ImWrite(Path.Combine(dir, name + ".png"), picture);
                        for (int l = 0; l < im.Levels.Length; l++)
                        {
                            var (c, h, w) = im.Levels[l];
                            tensors[$"{im.ImageId}/{LevelNames[l]}"] = tensor(c, ScalarType.Byte).view(h, w);
                            on += c.Count(b => b != 0);
                            cells += c.Length;
                        }
                    }
                    task.Increment(1);
                    if (ct.IsCancellationRequested)
                        throw new Interruption($"after image {(int)task.Value} of {total}",
                            $"the pictures of those images are in {Interruption.Show(dir)}; masks.safetensors is written only once every image is done",
                            Interruption.SameCommand);
                }
            });
            var meta = new Dictionary<string, string>
            {
                ["split"] = split,
                ["img"] = img.ToString(CultureInfo.InvariantCulture),
                ["psi"] = psi.ToString("R", CultureInfo.InvariantCulture),
                ["levels"] = FgfiLoss.Levels.Format(levels),
                ["strides"] = string.Join(",", DefaultLevels.Strides),
                ["anchors_px"] = string.Join(" / ", DefaultLevels.AnchorsPx.Select(r => string.Join(",", r))),
                ["letterbox"] = "Ultralytics LetterBox auto=False, centred, pad 114",
            };
            var path = Path.Combine(dir, "masks.safetensors");
            SafeTensors.Save(path, tensors, meta);
            AnsiConsole.MarkupLine($"{total} images, {on} of {cells} cells on ({(cells == 0 ? 0 : 100.0 * on / cells):0.0}%)");
            AnsiConsole.MarkupLine($"Masks saved to [bold]{Markup.Escape(path)}[/], pictures in [bold]{Markup.Escape(dir)}[/]");
            return 0;
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }
}
