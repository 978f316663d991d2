using YoloDistill.Detector.Common;

namespace YoloDistill.Detector.Tests.Common;

public class AtomicFileTests
{
    static string NewDir() => Directory.CreateTempSubdirectory("yd-atomic-").FullName;

    [Fact]
    public void Write_replaces_the_target_and_leaves_only_the_target()
    {
        var dir = NewDir();
        var target = Path.Combine(dir, "sub", "a.json");
        AtomicFile.WriteAllText(target, "old");
        AtomicFile.Write(target, s => s.Write("new"u8));
        Assert.Equal("new", File.ReadAllText(target));
        Assert.Equal([target], Directory.GetFiles(Path.Combine(dir, "sub")));
    }

    [Fact]
    public void A_failing_writer_keeps_the_old_content_and_removes_its_temporary_file()
    {
        var dir = NewDir();
        var target = Path.Combine(dir, "a.bin");
        AtomicFile.WriteAllText(target, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(target, s =>
        {
            s.Write("half of the n"u8);
            throw new InvalidOperationException("writer failed");
        }));
        Assert.Throws<InvalidOperationException>(() => AtomicFile.WriteToTempPath(target, tmp =>
        {
            File.WriteAllText(tmp, "half");
            throw new InvalidOperationException("writer failed");
        }));
        Assert.Equal("old", File.ReadAllText(target));
        Assert.Equal([target], Directory.GetFiles(dir));
    }

    [Fact]
    public void A_writer_that_closes_the_stream_itself_still_commits()
    {
        var target = Path.Combine(NewDir(), "r.csv");
        AtomicFile.Write(target, s =>
        {
            using var w = new StreamWriter(s); // disposes the stream
            w.Write("epoch\n0\n");
        });
        Assert.Equal("epoch\n0\n", File.ReadAllText(target));
    }

    [Fact]
    public void Name_based_writers_get_a_temporary_path_in_the_same_folder_with_the_targets_extension()
    {
        var dir = NewDir();
        var target = Path.Combine(dir, "results.png");
        string? seen = null;
        AtomicFile.WriteToTempPath(target, tmp =>
        {
            seen = tmp;
            File.WriteAllBytes(tmp, [1, 2, 3]);
        });
        Assert.Equal(dir, Path.GetDirectoryName(seen));
        Assert.Equal(".png", Path.GetExtension(seen));
        Assert.NotEqual(target, seen);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(target));
        Assert.False(File.Exists(seen));
    }

    [Fact]
    public void A_writer_that_creates_no_file_fails_and_leaves_the_target()
    {
        var target = Path.Combine(NewDir(), "x.png");
        AtomicFile.WriteAllText(target, "old");
        Assert.Throws<IOException>(() => AtomicFile.WriteToTempPath(target, _ => { }));
        Assert.Equal("old", File.ReadAllText(target));
    }

    [Fact]
    public void Temporary_names_are_unique_under_concurrency()
    {
        var target = Path.GetFullPath(Path.Combine(NewDir(), "best.ckpt"));
        var names = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 2000, _ => names.Add(AtomicFile.TempPathFor(target)));
        Assert.Equal(2000, names.Distinct().Count());
    }

    [Fact]
    public async Task Concurrent_writers_and_readers_only_ever_see_a_whole_old_or_new_content()
    {
        var dir = NewDir();
        var target = Path.Combine(dir, "last.ckpt");
        // Large enough that a non-atomic write would be observed half-done by the reader.
        var contents = Enumerable.Range(0, 4).Select(k => Enumerable.Repeat((byte)('a' + k), 1 << 20).ToArray()).ToArray();
        AtomicFile.WriteAllBytes(target, contents[0]);
        using var stop = new CancellationTokenSource();
        using var firstRead = new ManualResetEventSlim();
        int reads = 0;
        // A dedicated thread, and the writers wait for its first read: on a busy 2-core machine a pool task could
        // otherwise start only after every write had finished and check nothing.
        var reader = Task.Factory.StartNew(() =>
        {
            while (!stop.IsCancellationRequested || reads < 20)
            {
                var got = File.ReadAllBytes(target);
                Assert.Contains(contents, c => c.AsSpan().SequenceEqual(got));
                reads++;
                firstRead.Set();
            }
        }, TaskCreationOptions.LongRunning);
        Assert.True(firstRead.Wait(TimeSpan.FromSeconds(30)));
        Parallel.For(0, 24, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => AtomicFile.WriteAllBytes(target, contents[i % 4]));
        stop.Cancel();
        await reader;
        Assert.True(reads >= 20);
        Assert.Contains(contents, c => c.AsSpan().SequenceEqual(File.ReadAllBytes(target)));
        Assert.Equal([target], Directory.GetFiles(dir));
    }
}
