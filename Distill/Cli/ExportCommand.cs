using System.CommandLine;

namespace YoloDistill.Distill.Cli;

public static class ExportCommand
{
    public static Command Create() => NotBuilt.Create("export", "Export weights to ONNX, safetensors or a TorchSharp checkpoint");
}
