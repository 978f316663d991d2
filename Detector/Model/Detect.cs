using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Model;

/// <summary>
/// Ultralytics Detect head: one 1x1 Conv2d (with bias) per level giving na*(nc+5) channels, reshaped to
/// (bs, na, ny, nx, no). The `anchors` buffer is in grid units (pixels / stride), as Ultralytics stores it.
/// </summary>
public sealed class Detect : nn.Module<Tensor[], Tensor[]>
{
#pragma warning disable IDE1006
    readonly ModuleList<Conv2d> m;
#pragma warning restore IDE1006
    readonly Dictionary<(int level, long ny, long nx, DeviceType dev, int index), Tensor> grids = new();

    public int Nc { get; }
    public int No => Nc + 5;
    public int Nl { get; }
    public int Na { get; }
    public float[] Stride { get; }
    public long[] InChannels { get; }

    /// <summary>Anchors in grid units, shape (nl, na, 2).</summary>
    public Tensor Anchors => get_buffer("anchors")!;

    public IReadOnlyList<Conv2d> Convs => m.ToArray();

    public Detect(int nc, float[][] anchorsPx, int[] strides, long[] ch) : base(nameof(Detect))
    {
        Nc = nc;
        Nl = anchorsPx.Length;
        Na = anchorsPx[0].Length / 2;
        Stride = strides.Select(s => (float)s).ToArray();
        InChannels = ch;
        if (ch.Length != Nl || strides.Length != Nl)
            throw new ArgumentException($"Detect: {Nl} anchor levels but {ch.Length} inputs and {strides.Length} strides.");
        m = new ModuleList<Conv2d>(ch.Select(c => nn.Conv2d(c, No * Na, 1)).ToArray());

        using (no_grad())
        {
            var px = tensor(anchorsPx.SelectMany(a => a).ToArray()).view(Nl, Na, 2);
            var st = tensor(Stride).view(-1, 1, 1);
            var anchors = px / st;
            px.Dispose(); st.Dispose();
            // check_anchor_order: anchor area must grow with stride, otherwise the levels are reversed.
            var area = anchors.prod(-1).mean([-1L]);
            var da = (area[Nl - 1] - area[0]).sign().item<float>();
            if (da != 0 && da != MathF.Sign(Stride[^1] - Stride[0]))
            {
                var flipped = anchors.flip(0);
                anchors.Dispose();
                anchors = flipped;
            }
            area.Dispose();
            register_buffer("anchors", anchors);
        }
        RegisterComponents();
        InitializeBiases();
    }

    /// <summary>Ultralytics _initialize_biases: objectness prior of 8 objects per 640 image, class prior 0.6/(nc-0.99).</summary>
    void InitializeBiases()
    {
        using var _ = no_grad();
        for (int i = 0; i < Nl; i++)
        {
            var b = m[i].bias!.view(Na, No);
            b[TensorIndex.Colon, 4].add_(Math.Log(8.0 / Math.Pow(640.0 / Stride[i], 2)));
            b[TensorIndex.Colon, TensorIndex.Slice(5, 5 + Nc)].add_(Math.Log(0.6 / (Nc - 0.99)));
            b.Dispose();
        }
    }

    /// <summary>Raw level outputs (bs, na, ny, nx, no), before sigmoid.</summary>
    public override Tensor[] forward(Tensor[] xs)
    {
        var raw = new Tensor[Nl];
        for (int i = 0; i < Nl; i++)
        {
            using var y = m[i].forward(xs[i]);
            long bs = y.shape[0], ny = y.shape[2], nx = y.shape[3];
            using var v = y.view(bs, Na, No, ny, nx);
            using var p = v.permute(0, 1, 3, 4, 2);
            raw[i] = p.contiguous();
        }
        return raw;
    }

    /// <summary>
    /// Ultralytics' eval decoding (<see cref="DetectDecoding"/> states it) as tensor operations; Export/DetectGraphWriter.cs
    /// writes the same formula as ONNX nodes and must change with it. Returns (bs, N, no).
    /// </summary>
    public Tensor Decode(Tensor[] raw)
    {
        using var scope = NewDisposeScope();
        var z = new Tensor[Nl];
        var anchors = Anchors;
        for (int i = 0; i < Nl; i++)
        {
            var p = raw[i];
            long bs = p.shape[0], ny = p.shape[2], nx = p.shape[3];
            var grid = Grid(i, ny, nx, p.device, p.dtype);
            var anchorGrid = (anchors[i] * Stride[i]).view(1, Na, 1, 1, 2).to(p.dtype);
            var s = p.sigmoid();
            var parts = s.split([2, 2, Nc + 1], 4);
            var xy = parts[0].mul(DetectDecoding.Gain).add_(grid).mul_(Stride[i]);
            var wh = parts[1].mul(DetectDecoding.Gain).pow_(2).mul_(anchorGrid);
            z[i] = torch.cat([xy, wh, parts[2]], 4).view(bs, Na * ny * nx, No);
        }
        return scope.MoveToOuter(torch.cat(z, 1));
    }

    /// <summary><see cref="DetectDecoding.Grid"/> as (1, 1, ny, nx, 2) in the outputs' type; cached per level, size and device.</summary>
    Tensor Grid(int level, long ny, long nx, Device device, ScalarType dtype)
    {
        var key = (level, ny, nx, device.type, device.index);
        if (grids.TryGetValue(key, out var g) && g.dtype == dtype) return g;
        using (var cells = DetectDecoding.Grid(ny, nx, device))
        using (var view = cells.view(1, 1, ny, nx, 2))
            g = view.to_type(dtype);
        g.DetachFromDisposeScope();
        if (grids.TryGetValue(key, out var old)) old.Dispose();
        grids[key] = g;
        return g;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var g in grids.Values) g.Dispose();
            grids.Clear();
        }
        base.Dispose(disposing);
    }

    public long Macs(long[] hw)
    {
        long macs = 0;
        for (int i = 0; i < Nl; i++) macs += hw[2 * i] * hw[2 * i + 1] * InChannels[i] * No * Na;
        return macs;
    }
}
