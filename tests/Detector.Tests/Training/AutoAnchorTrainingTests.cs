using YoloDistill.Detector.Common;
using YoloDistill.Detector.Export;
using YoloDistill.Detector.Inference;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Training;
using YoloDistill.Detector.Weights;
using YoloDistill.Tests;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Training;

/// <summary>
/// AutoAnchor inside training: new anchors go into the model, the loss, every checkpoint, the ONNX export and the
/// detect backends; --noautoanchor and resume leave the anchors alone.
/// </summary>
public class AutoAnchorTrainingTests
{
    static readonly Hyp Plain = new() { Mosaic = 0, HsvH = 0, HsvS = 0, HsvV = 0, Translate = 0, Scale = 0, FlipLr = 0 };

    public AutoAnchorTrainingTests() => set_num_threads(1);

    static TrainOptions Options(string data, string dir, int epochs) => new()
    {
        Data = data, Cfg = "yolov5n", Epochs = epochs, BatchSize = 4, ImgSize = 64, Workers = 2, Seed = 3,
        Device = "cpu", SaveDir = dir, NoPlots = true,
    };

    static float[] Flat(float[][] a) => a.SelectMany(r => r).ToArray();

    /// <summary>Detect's buffer (grid units) times the strides, as pixel rows.</summary>
    static float[] BufferPx(Tensor anchors, int[] strides)
    {
        using var px = anchors.cpu() * tensor(strides.Select(s => (float)s).ToArray()).view(-1, 1, 1);
        return px.contiguous().data<float>().ToArray();
    }

    [Fact]
    public void Evolved_anchors_reach_the_checkpoint_the_onnx_export_and_detect()
    {
        var data = SynthCoco.Write(images: 8, seed: 2, tinyEvery: 2);
        var dir = Directory.CreateTempSubdirectory("autoanchor").FullName;
        float[] anchors;
        using (var t = new Trainer(Options(data, dir, 1), Plain))
        {
            var report = t.AnchorReport!;
            Assert.True(report.Before.Bpr < 0.98, $"planted data: BPR {report.Before.Bpr}");
            Assert.True(report.Replaced, string.Join(" | ", report.Describe()));
            Assert.True(report.Evolved!.Fit.Bpr > report.Before.Bpr);
            Assert.Contains(t.Notes, n => n.StartsWith("AutoAnchor:") && n.Contains("poor fit"));
            anchors = Flat(t.Config.AnchorsPx);
            Assert.NotEqual(Flat(ModelConfig.DefaultAnchors), anchors);
            Assert.Equal(Flat(report.AnchorsPx), anchors, (a, b) => Math.Abs(a - b) <= 1e-3f * Math.Max(1, a)); // up to fp16 rounding
            Assert.Equal(anchors, Flat(t.Model.Config.AnchorsPx));
            Assert.Equal(anchors, BufferPx(t.Model.Head.Anchors, t.Config.Strides));
            t.Run();
        }

        var last = Path.Combine(dir, "weights", "last.ckpt");
        using (var c = Checkpoint.Load(last))
        {
            Assert.Equal(anchors, Flat(c.Config.AnchorsPx));
            Assert.Equal(anchors, BufferPx(c.Ema["model.24.anchors"], c.Config.Strides), (a, b) => Math.Abs(a - b) <= 1e-5f * a);
        }

        // Export and both detect backends decode with the new anchors: ONNX's anchor grids are the checkpoint's, and
        // ONNX Runtime's boxes equal the torch model's.
        var onnx = ModelExporter.Export(new ExportRequest { Weights = last, Format = ExportFormat.Onnx, ImgSize = 64, Out = Path.Combine(dir, "m.onnx") }).Path;
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx));
        var grids = proto.Graph.Initializer.Where(i => i.Name.Contains("anchor_grid")).OrderBy(i => i.Name, StringComparer.Ordinal)
            .SelectMany(i => i.FloatData.Count > 0 ? i.FloatData.ToArray() : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(i.RawData.Span).ToArray()).ToArray();
        Assert.Equal(anchors, grids);

        using var scope = NewDisposeScope();
        using var g = new Generator(7);
        var images = rand([1, 3, 64, 64], generator: g);
        using var torchBackend = TorchBackend.Load(last, CPU);
        using var onnxBackend = new OnnxBackend(onnx);
        Assert.Equal(anchors, Flat(torchBackend.Config.AnchorsPx));
        var a = torchBackend.Forward(images);
        var b = onnxBackend.Forward(images);
        Assert.True((a - b).abs().max().item<float>() < 1e-3, $"torch vs onnx max diff {(a - b).abs().max().item<float>()}");
        // The same weights with the default anchors decode other boxes: the comparison above does depend on the anchors.
        using var defaults = ModelLoader.Load(last, CPU);
        defaults.SetAnchors(ModelConfig.DefaultAnchors);
        using var defaultsBackend = new TorchBackend(defaults, CPU);
        var d = defaultsBackend.Forward(images);
        Assert.True((a - d).abs().max().item<float>() > 0.1, "default anchors decode the same boxes");
    }

    [Fact]
    public void Noautoanchor_and_resume_keep_the_anchors()
    {
        var data = SynthCoco.Write(images: 8, seed: 2, tinyEvery: 2);
        var plain = Directory.CreateTempSubdirectory("noautoanchor").FullName;
        using (var t = new Trainer(Options(data, plain, 1) with { NoAutoAnchor = true }, Plain))
        {
            Assert.Null(t.AnchorReport);
            Assert.DoesNotContain(t.Notes, n => n.StartsWith("AutoAnchor:"));
            Assert.Equal(Flat(ModelConfig.DefaultAnchors), Flat(t.Config.AnchorsPx));
            Assert.Equal(Flat(ModelConfig.DefaultAnchors), BufferPx(t.Model.Head.Anchors, t.Config.Strides));
        }

        var dir = Directory.CreateTempSubdirectory("autoanchor-resume").FullName;
        float[] evolved;
        using (var cts = new CancellationTokenSource())
        using (var t = new Trainer(Options(data, dir, 2), Plain))
        {
            Assert.True(t.AnchorReport!.Replaced);
            evolved = Flat(t.Config.AnchorsPx);
            t.EpochProgress = new Progress(cts.Cancel);
            Assert.ThrowsAny<OperationCanceledException>(() => t.Run(cts.Token));
        }
        using (var r = Trainer.Resume(dir))
        {
            Assert.Null(r.AnchorReport);
            Assert.Equal(evolved, Flat(r.Config.AnchorsPx));
            Assert.Equal(evolved, BufferPx(r.Model.Head.Anchors, r.Config.Strides), (a, b) => Math.Abs(a - b) <= 1e-5f * a);
        }
    }

    sealed class Progress(Action a) : IProgress<TrainEpochProgress>
    {
        public void Report(TrainEpochProgress value) => a();
    }
}
