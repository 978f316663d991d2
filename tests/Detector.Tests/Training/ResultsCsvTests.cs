using YoloDistill.Detector.Training;

namespace YoloDistill.Detector.Tests.Training;

public class ResultsCsvTests
{
    static EpochResult Row(int e, params KeyValuePair<string, double>[] extra) => new()
    {
        Epoch = e, TrainBox = 0.1 + e, TrainObj = 0.2, TrainCls = 0.03, Precision = 0.5, Recall = 0.4, Map50 = 0.3,
        Map5095 = 0.2, ValBox = 0.09, ValObj = 0.08, ValCls = 0.07, Lr0 = 0.07, Lr1 = 0.0003, Lr2 = 0.0003, Extra = extra,
    };

    [Fact]
    public void Header_is_ultralytics_columns_then_extras()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "results.csv");
        ResultsCsv.Append(path, Row(0, KeyValuePair.Create("train/imit_loss", 0.5)));
        ResultsCsv.Append(path, Row(1, KeyValuePair.Create("train/imit_loss", 0.25)));
        var lines = File.ReadAllLines(path);
        Assert.Equal("epoch,train/box_loss,train/obj_loss,train/cls_loss,metrics/precision,metrics/recall,metrics/mAP_0.5," +
                     "metrics/mAP_0.5:0.95,val/box_loss,val/obj_loss,val/cls_loss,x/lr0,x/lr1,x/lr2,train/imit_loss", lines[0]);
        Assert.Equal("1,1.1,0.2,0.03,0.5,0.4,0.3,0.2,0.09,0.08,0.07,0.07,0.0003,0.0003,0.25", lines[2]);
        var rows = ResultsCsv.Read(path);
        Assert.Equal(2, rows.Count);
        Assert.Equal(0.25, rows[1].Extra.Single(e => e.Key == "train/imit_loss").Value);
        Assert.Equal(0.1 * 0.3 + 0.9 * 0.2, rows[0].Fitness, 12);
    }

    [Fact]
    public void Resume_truncates_to_the_checkpointed_epochs()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "results.csv");
        for (int e = 0; e < 4; e++) ResultsCsv.Append(path, Row(e));
        ResultsCsv.TruncateTo(path, 2);
        Assert.Equal([0, 1], ResultsCsv.Read(path).Select(r => r.Epoch));
        ResultsCsv.Append(path, Row(2));
        Assert.Equal([0, 1, 2], ResultsCsv.Read(path).Select(r => r.Epoch));
        Assert.Equal(4, File.ReadAllLines(path).Length);
    }

    [Fact]
    public void Reads_ultralytics_padded_files_and_refuses_other_columns()
    {
        var dir = Directory.CreateTempSubdirectory().FullName;
        var path = Path.Combine(dir, "results.csv");
        var header = string.Join(",", ResultsCsv.Columns.Select(c => c.PadLeft(20)));
        var row = string.Join(",", new[] { "0", "0.11", "0.06", "0.03", "0.5", "0.4", "0.3", "0.2", "0.1", "0.05", "0.02", "0.07", "0.001", "0.001" }.Select(v => v.PadLeft(20)));
        File.WriteAllText(path, header + "\n" + row + "\n");
        var r = ResultsCsv.Read(path).Single();
        Assert.Equal(0.11, r.TrainBox);
        Assert.Equal(0.001, r.Lr2);
        File.WriteAllText(path, "epoch,loss\n0,1\n");
        var e = Assert.Throws<InvalidDataException>(() => ResultsCsv.Read(path));
        Assert.Contains("no 'train/box_loss' column", e.Message);
        // Appending a row with different columns to an existing file is refused rather than misaligned.
        File.Delete(path);
        ResultsCsv.Append(path, Row(0));
        Assert.Throws<InvalidDataException>(() => ResultsCsv.Append(path, Row(1, KeyValuePair.Create("train/imit_loss", 1.0))));
    }

    [Fact]
    public void Columns_are_found_by_name_in_any_order()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "results.csv");
        // Another writer's order: extras first, Ultralytics' columns reversed.
        var header = new[] { "train/kd_loss", "train/imit_loss" }.Concat(ResultsCsv.Columns.Reverse());
        var row = new[] { "0.5", "0.25", "0.0003", "0.0003", "0.07", "0.07", "0.08", "0.09", "0.2", "0.3", "0.4", "0.5", "0.03", "0.2", "1.1", "1" };
        File.WriteAllText(path, string.Join(",", header) + "\n" + string.Join(",", row) + "\n");
        var r = ResultsCsv.Read(path).Single();
        Assert.Equal(1, r.Epoch);
        Assert.Equal(1.1, r.TrainBox);
        Assert.Equal(0.5, r.Precision);
        Assert.Equal([KeyValuePair.Create("train/kd_loss", 0.5), KeyValuePair.Create("train/imit_loss", 0.25)], r.Extra);
        // A new row goes under the file's own header, each value under its name, whatever order the row lists its extras in.
        ResultsCsv.Append(path, Row(2, KeyValuePair.Create("train/imit_loss", 0.75), KeyValuePair.Create("train/kd_loss", 0.125)));
        var rows = ResultsCsv.Read(path);
        Assert.Equal(0.125, rows[1].Extra.Single(x => x.Key == "train/kd_loss").Value);
        Assert.Equal(0.75, rows[1].Extra.Single(x => x.Key == "train/imit_loss").Value);
        Assert.Equal(2.1, rows[1].TrainBox, 12);
    }

    [Fact]
    public void Plots_are_written_as_png()
    {
        var dir = Directory.CreateTempSubdirectory().FullName;
        ResultsPlot.Save(Path.Combine(dir, "results.png"), [Row(0, KeyValuePair.Create("train/imit_loss", 0.5)), Row(1, KeyValuePair.Create("train/imit_loss", 0.4))]);
        LabelsPlot.Save(Path.Combine(dir, "labels.png"), [0, 0, 1, 2, 2, 2], ["a", "b", "c"]);
        foreach (var f in new[] { "results.png", "labels.png" })
        {
            var b = File.ReadAllBytes(Path.Combine(dir, f));
            Assert.True(b.Length > 5000, $"{f} is only {b.Length} bytes");
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, b[..4]);
        }
        Assert.Throws<ArgumentException>(() => LabelsPlot.Save(Path.Combine(dir, "bad.png"), [3], ["a"]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)] // 15 series fill the 3x5 grid exactly
    [InlineData(3)]
    public void Results_plot_takes_any_number_of_extra_columns(int extras)
    {
        var extra = Enumerable.Range(0, extras).Select(i => KeyValuePair.Create($"train/x{i}_loss", 0.1 * i)).ToArray();
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "results.png");
        ResultsPlot.Save(path, [Row(0, extra), Row(1, extra)]);
        Assert.True(new FileInfo(path).Length > 5000);
    }
}
