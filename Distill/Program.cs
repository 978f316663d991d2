using System.CommandLine;
using YoloDistill.Detector.Common;
using YoloDistill.Distill.Cli;

// yolo-distill: one command line for training, distilling, evaluating, exporting and running YOLOv5 detectors.
// Before the first tensor: keeps libtorch's buffers in the heap instead of a fresh mmap per activation (see MallocTuning).
MallocTuning.Apply();
var root = new RootCommand("yolo-distill: train YOLOv5 detectors in TorchSharp and distill a large teacher into a small student.");
foreach (var verb in Verbs.All()) root.Subcommands.Add(verb);
return await CliRunner.InvokeAsync(root, args);
