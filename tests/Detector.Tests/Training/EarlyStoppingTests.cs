using YoloDistill.Detector.Training;

namespace YoloDistill.Detector.Tests.Training;

public class EarlyStoppingTests
{
    [Fact]
    public void Fitness_weights_map50_and_map50_95()
    {
        Assert.Equal(0.1 * 0.549 + 0.9 * 0.348, Fitness.Of(0.624, 0.489, 0.549, 0.348), 12);
    }

    [Fact]
    public void Stops_after_patience_epochs_without_improvement()
    {
        var s = new EarlyStopping(3);
        Assert.False(s.Step(0, 0.1));
        Assert.False(s.Step(1, 0.2));
        Assert.False(s.Step(2, 0.15));
        Assert.False(s.Step(3, 0.19));
        Assert.True(s.PossibleStop);  // delta 2 >= patience - 1
        Assert.True(s.Step(4, 0.2 - 1e-9));
        Assert.Equal(1, s.BestEpoch);
        var never = new EarlyStopping(0);
        for (int e = 0; e < 50; e++) Assert.False(never.Step(e, e == 0 ? 1 : 0));
    }
}
