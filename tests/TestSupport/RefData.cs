using System.Runtime.CompilerServices;

namespace YoloDistill.Tests;

/// <summary>
/// Locates the reference data folder (real data from outside the project). It is found through the
/// environment variable YOLO_DISTILL_REFDATA, defaulting to ../shared beside the checkout.
/// Tests that need it call <see cref="Require"/>, which fails loudly (never passes silently) when it is absent.
/// </summary>
public static class RefData
{
    public const string EnvVar = "YOLO_DISTILL_REFDATA";

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Root
    {
        get
        {
            var env = Environment.GetEnvironmentVariable(EnvVar);
            return Path.GetFullPath(string.IsNullOrWhiteSpace(env) ? Path.Combine(RepoRoot, "..", "shared") : env);
        }
    }

    public static bool Available => File.Exists(Path.Combine(Root, "README.md"));

    /// <summary>Full path of a file inside the reference folder; throws a clear error when the folder or file is missing.</summary>
    public static string Require(string relative)
    {
        if (!Available)
            throw new InvalidOperationException(
                $"Reference data not found at '{Root}'. Set {EnvVar} to the folder holding the shared reference data " +
                "(coco128, yolov5n weights, Ultralytics fixtures), or place it at ../shared beside the checkout.");
        var path = Path.Combine(Root, relative);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new FileNotFoundException($"Reference file '{relative}' is missing from '{Root}'.", path);
        return path;
    }

    static string FindRepoRoot([CallerFilePath] string thisFile = "")
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(thisFile) ?? "" })
        {
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "yolo-distill.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Cannot find the repository root (yolo-distill.sln) above " + AppContext.BaseDirectory);
    }
}
