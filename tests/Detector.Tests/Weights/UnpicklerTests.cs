using System.Numerics;
using YoloDistill.Detector.Weights.Pickle;

namespace YoloDistill.Detector.Tests.Weights;

public class UnpicklerTests
{
    static object? Load(PickleBuilder p) => new Unpickler("test.pkl").Load(p.ToArray());

    [Fact]
    public void Reads_containers_numbers_strings_and_memo_references()
    {
        var p = new PickleBuilder().EmptyDict().Put(0).Mark()
            .Str("a").Int(-7)
            .Str("f").Float(0.25)
            .Str("l").EmptyList().Put(1).Mark().Str("x").None().Appends()
            .Str("same").Get(1)
            .Str("big").Op(0x8a).Op(9).Op(0).Op(0).Op(0).Op(0).Op(0).Op(0).Op(0).Op(0).Op(1) // LONG1 2**64
            .SetItems().Stop();
        var d = Assert.IsType<PickleDict>(Load(p));
        Assert.Equal(-7L, d["a"]);
        Assert.Equal(0.25, d["f"]);
        var l = Assert.IsType<List<object?>>(d["l"]);
        Assert.Equal(["x", null], l);
        Assert.Same(l, d["same"]);
        Assert.Equal(BigInteger.Pow(2, 64), d["big"]);
        Assert.Equal(["a", "f", "l", "same", "big"], d.Keys);
    }

    [Fact]
    public void A_call_to_os_system_is_recorded_inert_and_never_run()
    {
        var marker = Path.Combine(Directory.CreateTempSubdirectory().FullName, "pwned");
        var p = new PickleBuilder().Global("os", "system").Mark().Str($"touch {marker}").Tuple().Reduce().Stop();
        var o = Assert.IsType<PickleObject>(Load(p));
        Assert.Equal("os", o.Module);
        Assert.Equal("system", o.Name);
        Assert.Equal($"touch {marker}", o.Args[0]);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void Unknown_classes_keep_their_arguments_and_state()
    {
        var p = new PickleBuilder().Global("models.yolo", "Model").EmptyTuple().NewObj()
            .EmptyDict().Mark().Str("nc").Int(3).SetItems().Build().Stop();
        var o = Assert.IsType<PickleObject>(Load(p));
        Assert.Equal("models.yolo.Model", o.Type.FullName);
        Assert.Equal(3L, o.Attributes!["nc"]);
    }

    [Theory]
    [InlineData((byte)'i')]  // INST
    [InlineData((byte)'o')]  // OBJ
    [InlineData((byte)0x82)] // EXT1
    [InlineData((byte)'P')]  // PERSID (text)
    public void Opcodes_that_cannot_be_handled_inertly_are_refused(byte op)
    {
        var p = new PickleBuilder().Op(op).Stop();
        var e = Assert.Throws<InvalidDataException>(() => Load(p));
        Assert.Contains("test.pkl", e.Message);
        Assert.Contains("not supported", e.Message);
    }

    [Fact]
    public void Truncated_pickle_is_refused()
    {
        var bytes = new PickleBuilder().Str("hello world").Stop().ToArray();
        var e = Assert.Throws<InvalidDataException>(() => new Unpickler("cut.pkl").Load(bytes.AsSpan(0, 8)));
        Assert.Contains("cut.pkl", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Calling_something_that_is_not_a_global_is_refused()
    {
        var p = new PickleBuilder().Str("x").EmptyTuple().Reduce().Stop();
        Assert.Throws<InvalidDataException>(() => Load(p));
    }
}
