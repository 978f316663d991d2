using System.CommandLine;

namespace YoloDistill.Distill.Cli;

/// <summary>
/// The options several verbs take, declared once: the same names, help and default wherever they appear (train.py's
/// defaults). Only what the option means to a verb may differ (<paramref name="what"/>: the training size, the
/// inference size, the ONNX input size). The main job (`demo`) is a fixed recipe with its own defaults, and
/// `bench model` times batch 1 unless told, as Ultralytics' profile does.
/// </summary>
static class SharedOptions
{
    public const string DefaultDevice = "auto";
    public const int DefaultImg = 640, DefaultBatch = 16, DefaultWorkers = 8, DefaultThreads = 0, DefaultSeed = 0;

    public static Option<string> Device() => new("--device")
    {
        Description = "cpu, cuda, cuda:N or auto (the first CUDA device when there is one, else the CPU)",
        DefaultValueFactory = _ => DefaultDevice,
    };

    public static Option<int> Img(string what = "Image size in pixels (a multiple of 32)") => new("--img", "--imgsz", "--img-size")
    {
        Description = what,
        DefaultValueFactory = _ => DefaultImg,
    };

    public static Option<int> Batch(string what = "Batch size") => new("--batch-size", "--batch")
    {
        Description = what,
        DefaultValueFactory = _ => DefaultBatch,
    };

    public static Option<int> Workers() => new("--workers")
    {
        Description = "Max data loader workers (capped by cores and batch size)",
        DefaultValueFactory = _ => DefaultWorkers,
    };

    public static Option<int> Threads() => new("--threads")
    {
        Description = "torch intra-op threads (0 = libtorch default; 1 is faster on a busy machine)",
        DefaultValueFactory = _ => DefaultThreads,
    };

    public static Option<string> Project() => new("--project")
    {
        Description = "Runs folder: output goes to <project>/<verb>/<name>, <name>2, ... unless --out",
        DefaultValueFactory = _ => "runs",
    };

    public static Option<string> Name() => new("--name")
    {
        Description = "Run name under <project>/<verb>/ (numbered when taken: exp, exp2, ...)",
        DefaultValueFactory = _ => "exp",
    };

    public static Option<int> Seed(string what = "Random seed") => new("--seed")
    {
        Description = what,
        DefaultValueFactory = _ => DefaultSeed,
    };
}
