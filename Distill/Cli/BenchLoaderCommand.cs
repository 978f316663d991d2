using YoloDistill.Detector.Common;
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Spectre.Console;
using YoloDistill.Detector.Data;

namespace YoloDistill.Distill.Cli;

/// <summary>yolo-distill bench loader: images per second of the training loader (mosaic and full augmentation on).</summary>
public static class BenchLoaderCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Dataset root (COCO layout)", Required = true };
        var split = new Option<string>("--split") { Description = "Split", DefaultValueFactory = _ => "train2017" };
        var img = SharedOptions.Img("Image size");
        var batch = SharedOptions.Batch("Batch size");
        var workers = SharedOptions.Workers();
        var batches = new Option<int>("--batches") { Description = "Batches to time", DefaultValueFactory = _ => 20 };
        var cache = new Option<bool>("--cache") { Description = "Cache decoded images in RAM" };
        var output = new Option<string?>("--out") { Description = "Result file (JSON); default runs/bench/loader-img<img>-b<batch>.json" };
        var cmd = new Command("loader", "Images per second of the training loader (mosaic on)");
        foreach (var o in new Option[] { data, split, img, batch, workers, batches, cache, output }) cmd.Options.Add(o);
        cmd.SetAction((pr, ct) =>
        {
            var ds = CocoDataset.Load(pr.GetValue(data)!, pr.GetValue(split)!);
            var opts = new LoaderOptions
            {
                ImgSize = pr.GetValue(img), BatchSize = pr.GetValue(batch), Workers = pr.GetValue(workers), Cache = pr.GetValue(cache), Seed = 0,
            };
            int n = pr.GetValue(batches);
            if (n < 1) throw new ArgumentException("--batches must be at least 1");
            using var loader = new DetectionLoader(ds, opts);
            // Timed from the first request to the n-th batch delivered: thread start-up and each epoch's pipeline
            // refill are part of what a training loop waits for.
            int images = 0, done = 0, epoch = 0;
            var proc = Process.GetCurrentProcess();
            var cpu0 = proc.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            while (done < n)
            {
                foreach (var b in loader.Epoch(epoch, ct: ct))
                {
                    using (b) images += b.Count;
                    if (++done >= n) break;
                }
                epoch++;
            }
            sw.Stop();
            proc.Refresh();
            double cpu = (proc.TotalProcessorTime - cpu0).TotalSeconds;
            double ips = images / sw.Elapsed.TotalSeconds;
            var result = new
            {
                data = Path.GetFullPath(pr.GetValue(data)!), split = pr.GetValue(split), img = opts.ImgSize, batch = opts.BatchSize,
                workers = opts.EffectiveWorkers, cache = opts.Cache, mosaic = opts.Hyp.Mosaic, batches = n, images,
                seconds = sw.Elapsed.TotalSeconds, images_per_second = ips, seconds_per_batch = sw.Elapsed.TotalSeconds / n,
                cpu_seconds = cpu, cpu_ms_per_image = 1000 * cpu / images,
            };
            var file = pr.GetValue(output) ?? Path.Combine("runs", "bench", $"loader-img{opts.ImgSize}-b{opts.BatchSize}.json");
            var t = new Table().AddColumn("img").AddColumn("batch").AddColumn("workers").AddColumn("images/s").AddColumn("s/batch").AddColumn("CPU ms/image");
            t.AddRow(opts.ImgSize.ToString(), opts.BatchSize.ToString(), opts.EffectiveWorkers.ToString(), ips.ToString("F1"),
                (sw.Elapsed.TotalSeconds / n).ToString("F3"), (1000 * cpu / images).ToString("F1"));
            AnsiConsole.Write(t);
            BenchReport.Write(file, "loader", result);
            return Task.FromResult(0);
        });
        return cmd;
    }
}
