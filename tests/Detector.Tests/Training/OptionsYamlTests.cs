using YamlDotNet.RepresentationModel;
using YoloDistill.Detector.Training;

namespace YoloDistill.Detector.Tests.Training;

public class OptionsYamlTests
{
    static YamlMappingNode Read(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    static string Value(YamlMappingNode m, string key) => ((YamlScalarNode)m.Children[new YamlScalarNode(key)]).Value!;

    [Fact]
    public void Strings_that_yaml_would_misread_round_trip()
    {
        var o = new TrainOptions { Data = "/data/run: one/coco", SaveDir = "runs/#1 - a: b", Cache = "null", Cfg = "123" };
        var yaml = OptionsYaml.ToYaml(o);
        var m = Read(yaml);
        Assert.Equal("/data/run: one/coco", Value(m, "Data"));
        Assert.Equal("runs/#1 - a: b", Value(m, "SaveDir"));
        // Quoted, so a YAML reader takes them as strings rather than null and a number.
        Assert.Contains("Cache: \"null\"", yaml);
        Assert.Contains("Cfg: \"123\"", yaml);
    }

    [Fact]
    public void Every_settable_option_is_written_under_its_name_with_lists_on_one_line()
    {
        var yaml = OptionsYaml.ToYaml(new TrainOptions { Freeze = [0, 1, 2], Optimizer = OptimizerKind.AdamW, LabelSmoothing = 0.1 });
        var m = Read(yaml);
        var names = typeof(TrainOptions).GetProperties().Where(p => p.CanWrite).Select(p => p.Name).ToHashSet();
        Assert.Equal(names, m.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToHashSet());
        Assert.Contains("Freeze: [0, 1, 2]\n", yaml);
        Assert.Equal("AdamW", Value(m, "Optimizer"));
        Assert.Equal("0.1", Value(m, "LabelSmoothing"));
        Assert.Equal("false", Value(m, "Rect"));
        Assert.Contains("Weights: null\n", yaml);
    }
}
