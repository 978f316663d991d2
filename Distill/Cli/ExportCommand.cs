using System.CommandLine;
using Spectre.Console;
using YoloDistill.Detector.Export;
using YoloDistill.Detector.Training;

namespace YoloDistill.Distill.Cli;

/// <summary>yolo-distill export: weights to ONNX (as Ultralytics export.py), Ultralytics-keyed safetensors, or a TorchSharp checkpoint.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var weights = new Option<string>("--weights") { Description = "Weights to export: Ultralytics .pt, .safetensors or a yolo-distill .ckpt", Required = true };
        var format = new Option<string>("--format")
        {
            Description = "onnx (images -> output0 with Detect decoding, metadata stride/names), safetensors (Ultralytics keys + nc/names/stride/anchors) " +
                          "or torchsharp (.ckpt with the detector alone and its config)",
            DefaultValueFactory = _ => "onnx",
        };
        format.AcceptOnlyFromAmong("onnx", "safetensors", "torchsharp");
        var img = SharedOptions.Img("ONNX input size (square, multiple of 32)");
        var half = new Option<bool>("--half") { Description = "Float16 weights (onnx: also float16 input and output)" };
        var dynamic = new Option<bool>("--dynamic") { Description = "ONNX: symbolic batch, height and width (grids computed in the graph)" };
        var opset = new Option<int>("--opset") { Description = "ONNX opset (15 or later)", DefaultValueFactory = _ => 17 };
        var output = new Option<string?>("--out") { Description = "Output file (default: next to the weights, named after them)" };

        var cmd = new Command("export", "Export weights to ONNX, safetensors or a TorchSharp checkpoint");
        foreach (var o in new Option[] { weights, format, img, half, dynamic, opset, output }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var fmt = pr.GetValue(format) switch
            {
                "safetensors" => ExportFormat.SafeTensors,
                "torchsharp" => ExportFormat.TorchSharp,
                _ => ExportFormat.Onnx,
            };
            var request = new ExportRequest
            {
                Weights = pr.GetValue(weights)!,
                Format = fmt,
                ImgSize = pr.GetValue(img),
                Half = pr.GetValue(half),
                Dynamic = pr.GetValue(dynamic),
                Opset = pr.GetValue(opset),
                Out = pr.GetValue(output),
            };
            if (fmt != ExportFormat.Onnx && (request.Dynamic || pr.GetResult(img) is { Implicit: false }))
                throw new ArgumentException("--img and --dynamic apply to --format onnx only.");
            ExportResult result = null!;
            AnsiConsole.Status().Start($"Exporting {Markup.Escape(request.Weights)} to {fmt.ToString().ToLowerInvariant()}...", _ => result = ModelExporter.Export(request));

            var t = new Table().Border(TableBorder.Rounded).AddColumn("export").AddColumn("");
            t.AddRow("file", Markup.Escape(result.Path));
            t.AddRow("size", $"{result.Bytes / 1048576.0:0.0} MB");
            t.AddRow("model", $"{result.Config.ModelName}, nc={result.Config.Nc}");
            t.AddRow("tensors", result.Tensors.ToString());
            if (fmt == ExportFormat.Onnx)
            {
                var dims = request.Dynamic ? "batch x 3 x height x width" : $"1 x 3 x {request.ImgSize} x {request.ImgSize}";
                var rows = request.Dynamic ? "anchors" : OnnxExporter.AnchorCount(result.Config, request.ImgSize).ToString();
                t.AddRow("input", $"images ({dims}) {(request.Half ? "float16" : "float32")}");
                t.AddRow("output", $"output0 ({(request.Dynamic ? "batch" : "1")} x {rows} x {result.Config.NumOutputs})");
                t.AddRow("opset", request.Opset.ToString());
            }
            AnsiConsole.Write(t);
            return 0;
        });
        return cmd;
    }
}
