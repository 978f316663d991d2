using YoloDistill.Detector.Inference;

// The README's sample: load once, detect, print one line per object; then the same with ONNX Runtime.
if (args.Length != 2) { Console.Error.WriteLine("usage: consumer MODEL IMAGE"); return 2; }
foreach (var backend in new[] { InferenceBackend.Torch, InferenceBackend.Onnx })
{
    using var detector = YoloDetector.Load(args[0], new DetectorOptions { Backend = backend, Device = "cpu" });
    var detections = detector.Detect(args[1]);
    foreach (var d in detections)
        Console.WriteLine($"{detector.BackendName} {d.ClassName} {d.Confidence:0.00} {d.X1:0} {d.Y1:0} {d.X2:0} {d.Y2:0}");
    Console.WriteLine($"{detector.BackendName}: {detections.Count} objects");
}
return 0;
