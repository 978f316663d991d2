using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using OpenCvSharp;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Training;
using YoloDistill.Detector.Weights;
using YoloDistill.Distill.Cli;
using YoloDistill.Tests;

namespace YoloDistill.Distill.Tests.Cli;

/// <summary>
/// SIGTERM as `timeout`, `docker stop` and schedulers send it, to a real yolo-distill process: it stops at the next
/// safe point, keeps what is whole, says so in one line, exits 143, and the work continues from there.
/// </summary>
[Collection(ConsoleCollection.Name)]
public class InterruptionTests
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    static void NoStackTrace(string output)
    {
        Assert.DoesNotContain("   at ", output);
        Assert.DoesNotContain("Exception", output);
    }

    [Fact]
    public void Sigterm_mid_epoch_keeps_the_last_epoch_and_the_resumed_run_equals_an_uninterrupted_one()
    {
        var root = Directory.CreateTempSubdirectory("stop-train").FullName;
        var data = Path.Combine(root, "shapes");
        var synth = SynthDataset.Generate(data, seed: 0, new SynthOptions { Train = 12, Val = 4, ImgSize = 64 });
        // One initial weights file for both runs: the seeded initialisation draws from torch's global generator.
        var init = Path.Combine(root, "init.safetensors");
        var cfg = ModelConfig.FromName("yolov5n", synth.Names.Count, synth.Names.ToArray());
        using (var m = new YoloModel(cfg)) WeightsFile.SaveSafeTensors(init, m.state_dict(), cfg);
        string[] Train(string dir) =>
        [
            "train", "--data", data, "--split", "train", "--val-split", "val", "--weights", init, "--epochs", "3", "--batch", "4",
            "--img", "64", "--workers", "1", "--threads", "1", "--noplots", "--out", dir,
        ];

        var stopped = Path.Combine(root, "stopped");
        var last = Path.Combine(stopped, "weights", "last.ckpt");
        using (var child = CliProcess.Start(root, Train("stopped")))
        {
            child.WaitUntil(() => File.Exists(last), Patience, "checkpoint of epoch 0");
            child.Signal(CliProcess.SIGTERM);
            Assert.Equal(ExitCodes.Terminated, child.WaitForExit(Patience));
            var output = child.Output;
            Assert.Matches(new Regex(@"^stopped by SIGTERM in epoch [12]/2 [^;\n]+; the last completed epoch \(([01])\) is saved in stopped/weights/last\.ckpt; " +
                                     @"to continue: yolo-distill train --resume stopped$", RegexOptions.Multiline), output);
            NoStackTrace(output);
        }
        int savedEpoch;
        using (var c = Checkpoint.Load(last)) savedEpoch = c.Epoch;
        Assert.InRange(savedEpoch, 0, 1);
        Assert.Equal(savedEpoch + 1, ResultsCsv.Read(Path.Combine(stopped, "results.csv")).Count);

        Assert.Equal(0, CliHarness.Run("train", "--resume", stopped, "--threads", "1"));
        var whole = Path.Combine(root, "whole");
        Assert.Equal(0, CliHarness.Run(Train(whole)));

        using var a = Checkpoint.Load(Path.Combine(whole, "weights", "last.ckpt"));
        using var b = Checkpoint.Load(last);
        Assert.Equal(2, b.Epoch);
        Assert.Equal(a.EmaUpdates, b.EmaUpdates);
        foreach (var (k, v) in a.Model!) Assert.True(v.eq(b.Model![k]).all().item<bool>(), $"model {k} differs");
        foreach (var (k, v) in a.Ema) Assert.True(v.eq(b.Ema[k]).all().item<bool>(), $"ema {k} differs");
        Assert.Equal(File.ReadAllText(Path.Combine(whole, "results.csv")), File.ReadAllText(Path.Combine(stopped, "results.csv")));
    }

    [Fact]
    public void Sigterm_mid_video_finalises_the_mp4_and_detections_csv_up_to_the_last_frame()
    {
        var root = Directory.CreateTempSubdirectory("stop-detect").FullName;
        const int frames = 250;
        SynthVideo.Generate(Path.Combine(root, "clip.mp4"), seed: 1, frames: frames, fps: 25, width: 320, height: 192);
        var mp4 = Path.Combine(root, "det", "clip.mp4");
        string output;
        using (var child = CliProcess.Start(root, "detect", "--weights", RefData.Require("weights/yolov5n.pt"), "--source", "clip.mp4",
                   "--img", "160", "--conf", "0.001", "--threads", "1", "--out", "det"))
        {
            child.WaitUntil(() => File.Exists(mp4), Patience, "annotated video");
            Thread.Sleep(500);
            child.Signal(CliProcess.SIGTERM);
            Assert.Equal(ExitCodes.Terminated, child.WaitForExit(Patience));
            output = child.Output;
        }
        var m = Regex.Match(output, $@"^stopped by SIGTERM after (\d+) of {frames} frames; det/clip\.mp4 \(finalised\) and det/detections\.csv " +
                                    "hold every frame up to there; to continue: run the same command again$", RegexOptions.Multiline);
        Assert.True(m.Success, output);
        NoStackTrace(output);
        int written = int.Parse(m.Groups[1].Value);
        Assert.InRange(written, 1, frames - 1);

        using var cap = new VideoCapture(mp4);
        Assert.True(cap.IsOpened(), $"{mp4} does not open");
        int decoded = 0;
        using (var frame = new Mat())
            while (cap.Read(frame) && !frame.Empty()) decoded++;
        Assert.Equal(written, decoded);

        var rows = File.ReadAllLines(Path.Combine(root, "det", "detections.csv")).Skip(1).Select(l => int.Parse(l.Split(',')[1])).ToArray();
        Assert.NotEmpty(rows);
        Assert.All(rows, f => Assert.InRange(f, 0, written - 1));
        Assert.Equal(written - 1, rows.Max()); // at conf 0.001 every frame has boxes, the last one included
    }

    [Fact]
    public void Stop_during_the_demo_names_the_stage_and_keeps_the_finished_ones()
    {
        var root = Directory.CreateTempSubdirectory("stop-demo").FullName;
        var data = Path.Combine(root, "shapes");
        SynthDataset.Generate(data, seed: 0, new SynthOptions { Train = 12, Val = 4, ImgSize = 64 });
        var outDir = Path.Combine(root, "demo");
        string[] args =
        [
            "demo", "--data", data, "--teacher", Path.Combine(RefData.RepoRoot, "weights", "teacher-yolov5s-shapes.ckpt"),
            // The demo's default paths are relative to the repository root; the test host runs in its output folder.
            "--student-weights", Path.Combine(RefData.RepoRoot, "weights", "yolov5n-pretrain.ckpt"),
            "--epochs", "3", "--batch", "4", "--img", "64", "--workers", "1", "--threads", "1", "--out", outDir,
        ];
        using var stop = StopSignal.Manual();
        var (code, output, _) = ConsoleCapture.Run(async () =>
        {
            var run = Task.Run(() => CliRunner.InvokeAsync(Verbs.Root(), args, stop));
            var last = Path.Combine(outDir, "baseline", "weights", "last.ckpt");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!File.Exists(last) && !run.IsCompleted && clock.Elapsed < Patience) await Task.Delay(20);
            stop.Request(PosixSignal.SIGTERM);
            return await run;
        });
        Assert.Equal(ExitCodes.Terminated, code);
        var shown = Interruption.Show(outDir);
        Assert.Matches(new Regex(@"^stopped by SIGTERM in demo stage \d+/\d+ \(.+\), in epoch [12]/2 [^;\n]+; " +
                                 $@"the last completed epoch \([01]\) is saved in {Regex.Escape(Interruption.Show(Path.Combine(outDir, "baseline", "weights", "last.ckpt")))}; " +
                                 $@"the finished stages are kept in {Regex.Escape(shown)}; to continue: run the same command again$", RegexOptions.Multiline), output);
        NoStackTrace(output);
        Assert.True(File.Exists(Path.Combine(outDir, ".stages", "data.done")));
        Assert.False(File.Exists(Path.Combine(outDir, ".stages", "baseline.done")));
        Assert.True(File.Exists(Path.Combine(outDir, ".stages", "baseline.partial")), "the stopped stage's wall time is kept");
    }
}
