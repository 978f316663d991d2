using System.Diagnostics;
using System.Globalization;
using YoloDistill.Detector.Inference;

// detect-folder MODEL FOLDER [CONFIDENCE]: every image in FOLDER through one YoloDetector (ONNX Runtime for an .onnx
// model), one line per image and the objects found per class, as an application embedding the detector would.
if (args.Length is < 2 or > 3)
{
    Console.Error.WriteLine("usage: detect-folder MODEL FOLDER [CONFIDENCE]");
    return 2;
}
if (!Directory.Exists(args[1]))
{
    Console.Error.WriteLine($"detect-folder: {args[1]}: folder not found");
    return 2;
}
double confidence = args.Length == 3 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 0.25;
string[] images = [.. Directory.EnumerateFiles(args[1]).Where(f => MediaFormats.Images.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal)];

using var detector = YoloDetector.Load(args[0], new DetectorOptions { Confidence = confidence, Device = "cpu" });
var perClass = new SortedDictionary<string, int>(StringComparer.Ordinal);
var clock = Stopwatch.StartNew();
foreach (var image in images)
{
    var detections = detector.Detect(image);
    foreach (var d in detections) perClass[d.ClassName] = perClass.GetValueOrDefault(d.ClassName) + 1;
    string best = detections.Count > 0 ? $", best {detections[0].ClassName} {detections[0].Confidence:0.00}" : "";
    Console.WriteLine($"{Path.GetFileName(image)}: {detections.Count} objects{best}");
}
clock.Stop();
Console.WriteLine($"{images.Length} images, {detector.BackendName}, {clock.Elapsed.TotalMilliseconds / Math.Max(1, images.Length):0} ms per image (load and preprocessing included)");
Console.WriteLine(string.Join(", ", perClass.Select(kv => $"{kv.Key} {kv.Value}")));
return 0;
