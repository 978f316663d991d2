using System.CommandLine;
using YoloDistill.Distill.Cli;

namespace YoloDistill.Distill.Tests;

[Collection(ConsoleCollection.Name)]
public class CliTests
{
    static RootCommand Root() => Verbs.Root();

    [Fact]
    public void Help_lists_every_verb()
    {
        var names = Root().Subcommands.Select(c => c.Name).ToArray();
        foreach (var verb in new[] { "train", "distill", "val", "cocoeval", "detect", "export", "dataset", "masks", "bench" })
            Assert.Contains(verb, names);
    }

    [Fact]
    public void Every_verb_has_a_description_and_help()
    {
        foreach (var c in Root().Subcommands)
        {
            Assert.False(string.IsNullOrWhiteSpace(c.Description), c.Name);
            Assert.Equal(0, Root().Parse([c.Name, "--help"]).Invoke(new InvocationConfiguration { Output = new StringWriter() }));
        }
    }

    [Fact]
    public void Unknown_verb_exits_non_zero()
    {
        var error = new StringWriter();
        var code = Root().Parse(["no-such-verb"]).Invoke(new InvocationConfiguration { Output = new StringWriter(), Error = error });
        Assert.NotEqual(0, code);
        Assert.Contains("Unrecognized command or argument 'no-such-verb'", error.ToString());
    }

    [Fact]
    public void Run_directories_follow_exp_exp2_numbering()
    {
        var tmp = Directory.CreateTempSubdirectory().FullName;
        var a = RunDirectory.Resolve(null, "train", tmp);
        var b = RunDirectory.Resolve(null, "train", tmp);
        Assert.Equal(Path.Combine(tmp, "train", "exp"), a);
        Assert.Equal(Path.Combine(tmp, "train", "exp2"), b);
        var c = RunDirectory.Resolve(Path.Combine(tmp, "mine"), "train", tmp);
        Assert.True(Directory.Exists(c));
    }
}
