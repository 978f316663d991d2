using YoloDistill.Detector.Weights;
using YoloDistill.Tests;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Weights;

public class WeightsFileTests
{
    static string NewPath(string name) => Path.Combine(Directory.CreateTempSubdirectory().FullName, name);

    [Fact]
    public void Safetensors_import_reads_config_from_shapes_and_metadata()
    {
        using var w = WeightsFile.Load(RefData.Require("weights/yolov5n.safetensors"));
        Assert.Equal("safetensors", w.Format);
        Assert.Equal("n", w.Config.Scale);
        Assert.Equal(80, w.Config.Nc);
        Assert.Equal("person", w.Config.Names[0]);
        Assert.Equal([30f, 61, 62, 45, 59, 119], w.Config.AnchorsPx[1]);
        Assert.Equal(ScalarType.Float32, w.StateDict["model.0.conv.weight"].dtype);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SaveSafeTensors_round_trips_tensors_and_config(bool half)
    {
        using var src = WeightsFile.Load(RefData.Require("weights/yolov5n.safetensors"));
        var path = NewPath("out.safetensors");
        WeightsFile.SaveSafeTensors(path, src.StateDict, src.Config, half);

        using (var raw = SafeTensors.Load(path))
        {
            Assert.Equal(half ? ScalarType.Float16 : ScalarType.Float32, raw["model.0.conv.weight"].dtype);
            Assert.Equal(ScalarType.Int64, raw["model.0.bn.num_batches_tracked"].dtype);
            Assert.Equal("[8.0, 16.0, 32.0]", raw.Metadata["stride"]);
            Assert.StartsWith("[[[10.0, 13.0], [16.0, 30.0], [33.0, 23.0]]", raw.Metadata["anchors"]);
        }
        using var back = WeightsFile.Load(path);
        Assert.Equal(src.Config.Names, back.Config.Names);
        Assert.Equal(src.Config.AnchorsPx, back.Config.AnchorsPx);
        Assert.Equal(src.Config.Scale, back.Config.Scale);
        Assert.Equal(src.StateDict.Keys.Order(StringComparer.Ordinal), back.StateDict.Keys.Order(StringComparer.Ordinal));
        // The reference weights came from an fp16 checkpoint, so even the fp16 file holds them exactly.
        foreach (var (k, t) in src.StateDict) Assert.True(TensorAssert.Bitwise(t, back.StateDict[k]), k);
    }

    [Fact]
    public void Unknown_format_is_refused_with_the_file_name()
    {
        var path = NewPath("weights.bin");
        File.WriteAllBytes(path, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Load(path));
        Assert.Contains("weights.bin", e.Message);
        Assert.Contains("unknown weights format", e.Message);
    }

    [Fact]
    public void Missing_file_is_reported_as_not_found()
    {
        var path = NewPath("absent.pt");
        var e = Assert.Throws<FileNotFoundException>(() => WeightsFile.Load(path));
        Assert.Contains("absent.pt", e.Message);
    }

    [Fact]
    public void Registered_reader_is_asked_first()
    {
        var path = NewPath("mine.yd");
        File.WriteAllText(path, "YDCK");
        var reader = new FakeReader();
        // A registry of its own: the fake format claims checkpoint files ("YDCK..."), so registering it process-wide
        // would break every other test that loads a checkpoint.
        var registry = WeightsReaderRegistry.Builtin();
        registry.Register(reader);
        var e = Assert.Throws<InvalidOperationException>(() => registry.Load(path));
        Assert.Equal("fake reader reached", e.Message);
        Assert.Same(reader, registry.Readers[0]);
        Assert.DoesNotContain(WeightsFile.Readers, r => r.Format == reader.Format);
        Assert.Equal(["yolo-distill-ckpt", "ultralytics-pt", "safetensors"], WeightsFile.Readers.Select(r => r.Format));
    }

    sealed class FakeReader : IWeightsReader
    {
        public string Format => "test-fake";
        // Registration is process-wide: claim only this test's .yd files, not the project's real checkpoints (also "YDCK").
        public bool CanRead(string path, ReadOnlySpan<byte> head) => path.EndsWith(".yd", StringComparison.Ordinal) && head.StartsWith("YDCK"u8);
        public LoadedWeights Read(string path) => throw new InvalidOperationException("fake reader reached");
    }
}
