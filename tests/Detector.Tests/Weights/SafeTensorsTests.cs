using YoloDistill.Detector.Weights;
using YoloDistill.Tests;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Weights;

public class SafeTensorsTests
{
    [Fact]
    public void Reads_the_Ultralytics_state_dict_with_its_metadata()
    {
        using var f = SafeTensors.Load(RefData.Require("weights/yolov5n.safetensors"));
        Assert.Equal(349, f.Tensors.Count);
        Assert.Equal(new long[] { 16, 3, 6, 6 }, f["model.0.conv.weight"].shape);
        Assert.Equal(ScalarType.Int64, f["model.0.bn.num_batches_tracked"].dtype);
        Assert.Equal(new long[] { 3, 3, 2 }, f["model.24.anchors"].shape);
        // P3 anchors in grid units: (10,13)/8.
        Assert.Equal(1.25f, f["model.24.anchors"][0, 0, 0].item<float>(), 5);
        Assert.Contains("nc", f.Metadata.Keys);
    }

    [Fact]
    public void Round_trips_dtypes_shapes_values_and_metadata()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "t.safetensors");
        using (var scope = NewDisposeScope())
        {
            var d = new Dictionary<string, Tensor>
            {
                ["a"] = arange(12, dtype: ScalarType.Float32).reshape(3, 4),
                ["b"] = tensor(new long[] { -1, 7 }),
                ["c"] = ones(2, 2, dtype: ScalarType.Float16),
                ["m"] = tensor(new byte[] { 0, 1, 255 }),
            };
            SafeTensors.Save(path, d, new Dictionary<string, string> { ["nc"] = "3" });
        }
        using var f = SafeTensors.Load(path);
        Assert.Equal(11f, f["a"][2, 3].item<float>());
        Assert.Equal(-1L, f["b"][0].item<long>());
        Assert.Equal(ScalarType.Float16, f["c"].dtype);
        Assert.Equal((byte)255, f["m"][2].item<byte>());
        Assert.Equal("3", f.Metadata["nc"]);
    }

    [Fact]
    public void Truncated_file_is_refused_with_its_name()
    {
        var src = File.ReadAllBytes(RefData.Require("weights/yolov5n.safetensors"));
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "cut.safetensors");
        File.WriteAllBytes(path, src[..(src.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        Assert.Contains("cut.safetensors", e.Message);
    }
}
