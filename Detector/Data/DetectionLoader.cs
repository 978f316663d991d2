using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using OpenCvSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Data;

/// <summary>
/// Batches of a <see cref="CocoDataset"/> for training (mosaic and the rest of Ultralytics' augmentation) or
/// validation (val.py's rectangular batches). Batches are built on background threads and handed out in order
/// through bounded queues; each sample's randomness comes from (seed, epoch, position), and the epoch's shuffle
/// from (seed, epoch), so a seed gives the same batches whatever the worker count or timing.
/// </summary>
public sealed class DetectionLoader : IDisposable
{
    readonly SampleBuilder _builder;
    readonly int[]? _rectOrder;

    public CocoDataset Dataset { get; }
    public LoaderOptions Options { get; }
    /// <summary>Per-batch (height, width) in rect mode, else null (every batch is ImgSize square).</summary>
    public IReadOnlyList<(int H, int W)>? BatchShapes { get; }
    public int BatchCount => (ShardLength + Options.BatchSize - 1) / Options.BatchSize;

    /// <summary>Images this process visits per epoch: all, or its shard (padded to equal lengths across ranks).</summary>
    int ShardLength => Options.WorldSize > 1 ? (Dataset.Count + Options.WorldSize - 1) / Options.WorldSize : Dataset.Count;

    static DetectionLoader()
    {
        // As Ultralytics' dataloaders.py does: OpenCV's own thread pool would fight the loader's workers for the cores.
        Cv2.SetNumThreads(0);
    }

    public DetectionLoader(CocoDataset dataset, LoaderOptions options)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(options);
        if (dataset.Count == 0) throw new ArgumentException($"dataset '{dataset.AnnotationsPath}' has no images");
        if (options.BatchSize < 1) throw new ArgumentException($"batch size must be at least 1, got {options.BatchSize}");
        if (options.WorldSize < 1 || options.Rank < 0 || options.Rank >= options.WorldSize)
            throw new ArgumentException($"rank {options.Rank} of {options.WorldSize} processes");
        if (options.WorldSize > 1 && options.Rect)
            throw new ArgumentException("rectangular batches are not supported with several processes (as in train.py, --rect does not shuffle)");
        if (options.ImgSize < 32 || options.ImgSize % options.Stride != 0)
            throw new ArgumentException($"image size {options.ImgSize} must be a multiple of the stride {options.Stride}");
        Dataset = dataset;
        Options = options;
        _builder = new SampleBuilder(dataset, options);
        if (options.Rect)
        {
            var sizes = dataset.Images.Select(im => (im.Width, im.Height)).ToArray();
            var (order, shapes) = RectBatches.Compute(sizes, options.BatchSize, options.ImgSize, options.Stride, options.Pad);
            _rectOrder = order;
            BatchShapes = shapes;
        }
    }

    /// <summary>Mosaic as Ultralytics uses it (augment and not rect), unless close-mosaic has switched it off for the final epochs.</summary>
    public bool MosaicEnabled(int epoch, int totalEpochs = 0) =>
        Options.Augment && !Options.Rect && Options.Hyp.Mosaic > 0
        && !(Options.CloseMosaic > 0 && totalEpochs > 0 && epoch >= totalEpochs - Options.CloseMosaic);

    /// <summary>Dataset indices in the order this epoch visits them (this process's shard of it).</summary>
    public int[] EpochOrder(int epoch)
    {
        if (_rectOrder != null) return (int[])_rectOrder.Clone();
        var order = Enumerable.Range(0, Dataset.Count).ToArray();
        if (Options.Shuffle) new SampleRng(Options.Seed, epoch, -1).Shuffle(order);
        return Options.WorldSize > 1 ? Distributed.EpochShard.Of(order, Options.Rank, Options.WorldSize) : order;
    }

    /// <summary>Builds one batch on the calling thread (what the background workers run).</summary>
    public DetectionBatch BuildBatch(int epoch, int batchIndex, int totalEpochs = 0) =>
        BuildBatch(EpochOrder(epoch), epoch, batchIndex, MosaicEnabled(epoch, totalEpochs));

    DetectionBatch BuildBatch(int[] order, int epoch, int b, bool mosaic)
    {
        int bs = Options.BatchSize, start = b * bs, end = Math.Min(order.Length, start + bs);
        var shape = BatchShapes?[b] ?? (Options.ImgSize, Options.ImgSize);
        var samples = new List<Sample>(end - start);
        try
        {
            for (int p = start; p < end; p++)
                samples.Add(_builder.Build(order[p], new SampleRng(Options.Seed, epoch, Options.Rank + p * Options.WorldSize), mosaic, shape));
            return Collate(samples);
        }
        finally
        {
            foreach (var s in samples) s.Dispose();
        }
    }

    DetectionBatch Collate(List<Sample> samples)
    {
        int nt = samples.Sum(s => s.Targets.Length / 5);
        var t = new float[nt * 6];
        int k = 0;
        for (int i = 0; i < samples.Count; i++)
        {
            var st = samples[i].Targets;
            for (int j = 0; j < st.Length; j += 5)
            {
                t[k++] = i;
                for (int c = 0; c < 5; c++) t[k++] = st[j + c];
            }
        }
        var images = BatchTensor.FromBgr(samples.Select(s => s.Image).ToArray());
        var targets = torch.tensor(t, [nt, 6], ScalarType.Float32);
        return new DetectionBatch
        {
            Images = images,
            Targets = targets,
            Paths = samples.Select(s => Dataset.Images[s.Index].Path).ToArray(),
            ImageIds = samples.Select(s => Dataset.Images[s.Index].Id).ToArray(),
            Shapes = samples.Select(s => s.Shape).ToArray(),
        };
    }

    /// <summary>
    /// The batches of one epoch, in order. Pass <paramref name="totalEpochs"/> for close-mosaic. Batches not
    /// consumed (early break, cancellation) are disposed; an image that fails to load surfaces here as the
    /// exception naming the file.
    /// </summary>
    public IEnumerable<DetectionBatch> Epoch(int epoch, int totalEpochs = 0, CancellationToken ct = default)
    {
        var order = EpochOrder(epoch);
        bool mosaic = MosaicEnabled(epoch, totalEpochs);
        int nb = BatchCount, workers = Math.Min(Options.EffectiveWorkers, nb);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var channels = new Channel<DetectionBatch>[workers];
        var errors = new Exception?[workers];
        var tasks = new Task[workers];
        for (int w = 0; w < workers; w++)
        {
            var ch = channels[w] = Channel.CreateBounded<DetectionBatch>(new BoundedChannelOptions(Math.Max(1, Options.Prefetch))
            { SingleReader = true, SingleWriter = true });
            int wi = w;
            tasks[w] = Task.Factory.StartNew(() =>
            {
                try
                {
                    for (int b = wi; b < nb; b += workers)
                    {
                        cts.Token.ThrowIfCancellationRequested();
                        var batch = BuildBatch(order, epoch, b, mosaic);
                        if (!ch.Writer.TryWrite(batch))
                        {
                            try { ch.Writer.WriteAsync(batch, cts.Token).AsTask().GetAwaiter().GetResult(); }
                            catch { batch.Dispose(); throw; }
                        }
                    }
                }
                catch (OperationCanceledException) when (cts.IsCancellationRequested) { }
                catch (Exception e) { errors[wi] = e; }
                finally { ch.Writer.TryComplete(); }
            }, cts.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        try
        {
            for (int b = 0; b < nb; b++)
            {
                var w = b % workers;
                DetectionBatch? batch = null;
                try
                {
                    batch = channels[w].Reader.ReadAsync(cts.Token).AsTask().GetAwaiter().GetResult();
                }
                catch (ChannelClosedException)
                {
                    if (errors[w] is { } e) ExceptionDispatchInfo.Capture(e).Throw();
                    throw new InvalidOperationException($"loader worker {w} stopped before batch {b}");
                }
                yield return batch;
            }
        }
        finally
        {
            cts.Cancel();
            try { Task.WaitAll(tasks, CancellationToken.None); } catch (AggregateException) { }
            foreach (var ch in channels)
                while (ch.Reader.TryRead(out var left)) left.Dispose();
        }
    }

    public void Dispose() => _builder.Dispose();
}
