using TorchSharp;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Model;

/// <summary>One row of Ultralytics' parse_model table.</summary>
public sealed record LayerSummary(int Index, string From, int Repeats, long Parameters, string Module, string Arguments);

/// <summary>
/// Parameter count and GFLOPs as Ultralytics' model_info prints them: thop MACs x 2 counted at a stride-32 input and
/// scaled to the image size, convolutions plus one op per BatchNorm output element (so a fused model counts a bit less).
/// </summary>
public static class ModelSummary
{
    public static (long parameters, double gflops) Count(YoloModel m, int img = 640) => (Parameters(m), GFlops(m, img));

    public static long Parameters(nn.Module m) => m.parameters().Sum(p => p.numel());

    public static double GFlops(YoloModel m, int img = 640)
    {
        const long stride = 32;
        long macs = 0;
        var hw = new (long h, long w)[m.Layers.Count];
        long h = stride, w = stride;
        for (int i = 0; i < m.Layers.Count; i++)
        {
            var spec = Architecture.Layers[i];
            var src = spec.From[0] == -1 ? (i == 0 ? (stride, stride) : hw[i - 1]) : hw[spec.From[0]];
            (h, w) = src;
            switch (m.Layers[i])
            {
                case Conv c: { var r = c.Macs(h, w); macs += r.macs; hw[i] = (r.h, r.w); break; }
                case C3 c: { var r = c.Macs(h, w); macs += r.macs; hw[i] = (r.h, r.w); break; }
                case SPPF c: { var r = c.Macs(h, w); macs += r.macs; hw[i] = (r.h, r.w); break; }
                case Upsample u: hw[i] = (h * u.Scale, w * u.Scale); break;
                case Concat: hw[i] = (h, w); break;
                case Detect d:
                    macs += d.Macs(YoloModel.FeatureLayers.SelectMany(f => new[] { hw[f].h, hw[f].w }).ToArray());
                    break;
            }
        }
        return macs * 2.0 / 1e9 * ((double)img / stride) * ((double)img / stride);
    }

    /// <summary>The per-layer table Ultralytics prints when it builds a model.</summary>
    public static IReadOnlyList<LayerSummary> Layers(YoloModel m)
    {
        var rows = new List<LayerSummary>();
        var specs = Architecture.Layers;
        for (int i = 0; i < m.Layers.Count; i++)
        {
            var s = specs[i];
            var layer = m.Layers[i];
            string args = layer switch
            {
                Conv c => $"[{c.InChannels}, {c.OutChannels}, {c.Kernel}, {c.Stride}" + (c.Kernel == 6 ? $", {c.Padding}]" : "]"),
                C3 c => $"[{m.Channels[Math.Max(i - 1, 0)]}, {m.Channels[i]}, {c.Depth}" + (s.Shortcut ? "]" : ", False]"),
                SPPF => $"[{m.Channels[i - 1]}, {m.Channels[i]}, 5]",
                Upsample u => $"[None, {u.Scale}, 'nearest']",
                Concat => "[1]",
                Detect d => $"[{d.Nc}, anchors, [{string.Join(", ", d.InChannels)}]]",
                _ => "",
            };
            string from = s.From.Length == 1 ? s.From[0].ToString() : "[" + string.Join(", ", s.From) + "]";
            int n = layer is C3 c3 ? c3.Depth : 1;
            string name = layer is Upsample ? "torch.nn.modules.upsampling.Upsample" : $"models.{(layer is Detect ? "yolo" : "common")}.{layer.GetName()}";
            rows.Add(new LayerSummary(i, from, n, Parameters(layer), name, args));
        }
        return rows;
    }
}
