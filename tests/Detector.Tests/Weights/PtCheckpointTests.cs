using System.Diagnostics;
using YoloDistill.Detector.Weights;
using YoloDistill.Tests;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Weights;

public class PtCheckpointTests(ITestOutputHelper output)
{
    static string Pt => RefData.Require("weights/yolov5n.pt");
    static string NewPath(string name) => Path.Combine(Directory.CreateTempSubdirectory().FullName, name);

    [Fact]
    public void Pt_and_safetensors_give_bitwise_identical_state_dicts()
    {
        var sw = Stopwatch.StartNew();
        using var pt = WeightsFile.Load(Pt);
        output.WriteLine($"yolov5n.pt loaded in {sw.ElapsedMilliseconds} ms (first load, JIT included)");
        sw.Restart();
        WeightsFile.Load(Pt).Dispose();
        output.WriteLine($"yolov5n.pt loaded again in {sw.ElapsedMilliseconds} ms");
        using var st = WeightsFile.Load(RefData.Require("weights/yolov5n.safetensors"));

        Assert.Equal("ultralytics-pt", pt.Format);
        Assert.Equal(349, pt.StateDict.Count);
        // Same keys in the same (state_dict) order.
        Assert.Equal(st.StateDict.Keys.Order(StringComparer.Ordinal), pt.StateDict.Keys.Order(StringComparer.Ordinal));
        var listed = File.ReadAllLines(RefData.Require("weights/yolov5n_keys.txt")).Select(l => l.Split('\t')[0]);
        Assert.Equal(listed, pt.StateDict.Keys);
        foreach (var (k, a) in pt.StateDict)
        {
            var b = st.StateDict[k];
            Assert.True(a.dtype == b.dtype, $"{k}: {a.dtype} vs {b.dtype}");
            Assert.True(a.shape.SequenceEqual(b.shape), $"{k}: shape ({string.Join(",", a.shape)}) vs ({string.Join(",", b.shape)})");
            Assert.True(a.is_contiguous(), $"{k} not contiguous");
            Assert.True(TensorAssert.Bitwise(a, b), $"{k}: values differ");
        }
        Assert.Equal(ScalarType.Int64, pt.StateDict["model.0.bn.num_batches_tracked"].dtype);
        // fp16 storage: every float value is exactly representable in half precision.
        var w = pt.StateDict["model.24.m.0.weight"];
        using var roundTrip = w.to(ScalarType.Float16).to(ScalarType.Float32);
        Assert.True(TensorAssert.Bitwise(w, roundTrip));
    }

    [Fact]
    public void Reads_classes_names_anchors_and_scale_from_the_pickled_model()
    {
        using var pt = WeightsFile.Load(Pt);
        var c = pt.Config;
        Assert.Equal("n", c.Scale);
        Assert.Equal(80, c.Nc);
        Assert.Equal("person", c.Names[0]);
        Assert.Equal("toothbrush", c.Names[79]);
        Assert.Equal([8, 16, 32], c.Strides);
        Assert.Equal([10f, 13, 16, 30, 33, 23], c.AnchorsPx[0]);
        Assert.Equal([116f, 90, 156, 198, 373, 326], c.AnchorsPx[2]);
        Assert.Equal(80, pt.Metadata.Nc);
        Assert.Equal("models.yolo.Model", pt.Metadata.Extra["model_class"]);
        Assert.Equal("model", pt.Metadata.Extra["weights_from"]);
        Assert.Equal("2022-02-08T18:24:20.515893", pt.Metadata.Extra["date"]);
    }

    [Fact]
    public void Truncated_checkpoint_is_refused_with_its_name()
    {
        var src = File.ReadAllBytes(Pt);
        var path = NewPath("half.pt");
        File.WriteAllBytes(path, src[..(src.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Load(path));
        Assert.Contains("half.pt", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Non_zip_file_is_refused_with_its_name()
    {
        var path = NewPath("text.pt");
        File.WriteAllText(path, "this is not a checkpoint\n");
        var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Load(path));
        Assert.Contains("text.pt", e.Message);
        Assert.Contains("zip", e.Message);
    }

    [Fact]
    public void Zip_without_data_pkl_is_refused()
    {
        var path = NewPath("nopkl.pt");
        PickleBuilder.WriteTorchZip(path, null, new Dictionary<string, byte[]> { ["0"] = new byte[16] });
        var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Load(path));
        Assert.Contains("nopkl.pt", e.Message);
        Assert.Contains("data.pkl", e.Message);
    }

    [Fact]
    public void Malicious_global_is_not_executed_and_the_load_is_refused()
    {
        var marker = NewPath("pwned");
        var pickle = new PickleBuilder().EmptyDict().Mark()
            .Str("model").Global("os", "system").Mark().Str($"touch {marker}").Tuple().Reduce()
            .SetItems().Stop().ToArray();
        var path = NewPath("evil.pt");
        PickleBuilder.WriteTorchZip(path, pickle);
        var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Load(path));
        Assert.Contains("evil.pt", e.Message);
        Assert.Contains("os.system", e.Message);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void Malicious_entry_beside_a_real_model_stays_inert()
    {
        // Splice `'evil': os.system('touch <marker>')` into the real checkpoint's top-level dict, just before its final SETITEMS.
        var marker = NewPath("pwned");
        var path = NewPath("spliced.pt");
        using (var src = System.IO.Compression.ZipFile.OpenRead(Pt))
        using (var fs = File.Create(path))
        using (var dst = new System.IO.Compression.ZipArchive(fs, System.IO.Compression.ZipArchiveMode.Create))
        {
            foreach (var entry in src.Entries)
            {
                using var ms = new MemoryStream();
                using (var s = entry.Open()) s.CopyTo(ms);
                var bytes = ms.ToArray();
                if (entry.FullName.EndsWith("/data.pkl"))
                {
                    Assert.Equal("u."u8.ToArray(), bytes[^2..]);
                    var evil = new PickleBuilder().Str("evil").Global("os", "system").Mark().Str($"touch {marker}").Tuple().Reduce().ToArray()[2..];
                    bytes = [.. bytes[..^2], .. evil, .. "u."u8.ToArray()];
                }
                using var o = dst.CreateEntry(entry.FullName, System.IO.Compression.CompressionLevel.NoCompression).Open();
                o.Write(bytes);
            }
        }
        using var w = WeightsFile.Load(path);
        Assert.Equal(349, w.StateDict.Count);
        Assert.Equal(80, w.Config.Nc);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void Plain_dict_of_tensors_is_not_a_detection_model()
    {
        var pickle = new PickleBuilder().EmptyDict().Mark().Str("weight").FloatTensor("0", 4).SetItems().Stop().ToArray();
        var path = NewPath("plain.pt");
        PickleBuilder.WriteTorchZip(path, pickle, new Dictionary<string, byte[]> { ["0"] = new byte[16] });
        var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Load(path));
        Assert.Contains("plain.pt", e.Message);
        Assert.Contains("not a YOLOv5 detection", e.Message);
    }

    [Fact]
    public void Classification_model_is_refused()
    {
        var pickle = new PickleBuilder().EmptyDict().Mark()
            .Str("model").Global("models.yolo", "ClassificationModel").EmptyTuple().NewObj().EmptyDict().Build()
            .SetItems().Stop().ToArray();
        var path = NewPath("cls.pt");
        PickleBuilder.WriteTorchZip(path, pickle);
        var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Load(path));
        Assert.Contains("cls.pt", e.Message);
        Assert.Contains("models.yolo.ClassificationModel", e.Message);
    }

    [Fact]
    public void Storage_missing_from_the_archive_is_refused()
    {
        var pickle = new PickleBuilder().EmptyDict().Mark().Str("weight").FloatTensor("0", 4).SetItems().Stop().ToArray();
        var path = NewPath("nostorage.pt");
        PickleBuilder.WriteTorchZip(path, pickle);
        var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Load(path));
        Assert.Contains("nostorage.pt", e.Message);
        Assert.Contains("storage '0'", e.Message);
    }
}
