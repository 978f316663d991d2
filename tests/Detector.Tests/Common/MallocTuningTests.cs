using YoloDistill.Detector.Common;

namespace YoloDistill.Detector.Tests.Common;

public class MallocTuningTests
{
    [Fact]
    public void Glibc_accepts_the_settings_and_applying_twice_is_harmless()
    {
        Assert.True(OperatingSystem.IsLinux(), "the project targets linux-x64");
        // The module initializer applied them already; a second call must be a cheap no-op that still reports success.
        Assert.True(MallocTuning.Apply());
        Assert.True(MallocTuning.Apply());
        Assert.Equal(32 * 1024 * 1024, MallocTuning.MmapThreshold);
    }
}
