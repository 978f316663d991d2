using System.Text.Json;
using YoloDistill.Detector.Distributed;
using static TorchSharp.torch;

// Each rank: all-reduce a float tensor pair, broadcast an int64 tensor from rank 0, agree on a maximum, and take its
// epoch shard; one JSON line per rank. With "exit" or "kill" as the argument, rank 1 ends first (exit code 3, or killed).
if (args.Length >= 3 && args[0] == "train") return TrainProbe.Run(args[1], args[2]);
if (args.Length >= 2 && args[0] == "allreduce") return AllReduceBench.Run(long.Parse(args[1]));
var pg = ProcessGroup.Current;
if (args.Length > 0 && pg.Rank == 1)
{
    if (args[0] == "exit") Environment.Exit(3);                      // an error path: exit code 3
    if (args[0] == "kill") System.Diagnostics.Process.GetCurrentProcess().Kill(); // killed (SIGKILL)
}
using var a = full(3, (float)(pg.Rank + 1));
using var b = arange(4, dtype: float32) * (pg.Rank + 1);
pg.AllReduceMean([a, b]);
using var c = full(2, (long)(pg.Rank * 10 + 5), dtype: int64);
pg.Broadcast([c]);
long max = pg.AllReduceMax(pg.Rank * 7);
var shard = EpochShard.Of(Enumerable.Range(0, 11).Reverse().ToArray(), pg.Rank, pg.WorldSize);
pg.Barrier();
Console.WriteLine(JsonSerializer.Serialize(new
{
    rank = pg.Rank, world = pg.WorldSize, a = a.data<float>().ToArray(), b = b.data<float>().ToArray(),
    c = c.data<long>().ToArray(), max, shard,
}));
pg.Dispose();
return 0;

/// <summary>"train DATA OUT": 2 epochs of yolov5n at 64 px, global batch 8; prints the rank and a checksum of the weights.</summary>
static class TrainProbe
{
    public static int Run(string data, string outDir)
    {
        set_num_threads(1);
        var o = new YoloDistill.Detector.Training.TrainOptions
        {
            Data = data, TrainSplit = "train", ValSplit = "val", Cfg = "yolov5n", Epochs = 2, BatchSize = 8, ImgSize = 64, Workers = 1,
            Seed = 0, Device = "cpu", SaveDir = outDir, NoPlots = true, NoAutoAnchor = true,
        };
        using var t = new YoloDistill.Detector.Training.Trainer(o, new YoloDistill.Detector.Common.Hyp());
        t.Run();
        double sum = 0, abs = 0;
        foreach (var p in t.Model.parameters())
        {
            sum += p.sum().to(float64).item<double>();
            abs += p.abs().sum().to(float64).item<double>();
        }
        Console.WriteLine(JsonSerializer.Serialize(new { rank = ProcessGroup.Current.Rank, world = ProcessGroup.Current.WorldSize, sum, abs }));
        return 0;
    }
}

/// <summary>"allreduce N": median time of AllReduceMean over N float32 values (yolov5n's gradients: 1,774,741), 20 runs after 3.</summary>
static class AllReduceBench
{
    public static int Run(long n)
    {
        var pg = ProcessGroup.Current;
        using var t = rand(n);
        var ms = new List<double>();
        for (int i = 0; i < 23; i++)
        {
            pg.Barrier();
            var sw = System.Diagnostics.Stopwatch.StartNew();
            pg.AllReduceMean([t]);
            if (i >= 3) ms.Add(sw.Elapsed.TotalMilliseconds);
        }
        var s = YoloDistill.Detector.Common.SampleStats.Of(ms);
        Console.WriteLine(JsonSerializer.Serialize(new { rank = pg.Rank, world = pg.WorldSize, values = n, median_ms = s.Median, min_ms = s.Min, max_ms = s.Max }));
        return 0;
    }
}
