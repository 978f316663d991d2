using System.CommandLine;

namespace YoloDistill.Distill.Cli;

public static class BenchInferCommand
{
    public static Command Create() => NotBuilt.Create("infer", "Inference latency per frame (torch and onnx backends)");
}
