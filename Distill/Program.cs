using YoloDistill.Detector.Common;
using YoloDistill.Distill.Cli;

// yolo-distill: one command line for training, distilling, evaluating, exporting and running YOLOv5 detectors.
// Before the first tensor: keeps libtorch's buffers in the heap instead of a fresh mmap per activation (see MallocTuning).
MallocTuning.Apply();
return await CliRunner.RunProgramAsync(args);
