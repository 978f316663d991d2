using YoloDistill.Detector.Common;
using YoloDistill.Detector.Model;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Loss;

/// <summary>
/// YOLOv5 training loss, Ultralytics v7.0 utils/loss.py ComputeLoss: CIoU box loss on the assigned positives,
/// objectness BCE against the detached, clamped CIoU (gr = 1), class BCE with label smoothing (focal when fl_gamma &gt; 0),
/// objectness weighted per level by [4, 1, 0.4], gains from the (already train.py-scaled) hyps.
/// Works on any device; constants are created on the device of the predictions and cached.
/// </summary>
public sealed class ComputeLoss : IDisposable
{
    readonly Hyp _hyp;
    readonly ModelConfig _cfg;
    readonly double[] _balance;
    readonly double _cp, _cn;
    DeviceState? _state;

    /// <param name="scaledHyp">Hyps after <see cref="Hyp.ScaledForModel"/> (box, obj, cls gains as train.py sets them).</param>
    /// <param name="cfg">Gives nc, the anchors in pixels and the strides.</param>
    public ComputeLoss(Hyp scaledHyp, ModelConfig cfg)
    {
        _hyp = scaledHyp;
        _cfg = cfg;
        _balance = cfg.NumLevels == 3 ? [4.0, 1.0, 0.4] : [4.0, 1.0, 0.25, 0.06, 0.02];
        if (cfg.NumLevels > _balance.Length)
            throw new ArgumentException($"ComputeLoss supports at most {_balance.Length} detection levels, the model has {cfg.NumLevels}.");
        (_cp, _cn) = SmoothBce.Targets(scaledHyp.LabelSmoothing);
    }

    /// <summary>
    /// Loss of raw Detect outputs (one (bs, na, ny, nx, nc+5) tensor per level, before sigmoid) against targets (n, 6) =
    /// image index, class, cx, cy, w, h normalised. Returns (lbox + lobj + lcls) * bs with shape [1] and the detached
    /// [lbox, lobj, lcls].
    /// </summary>
    public (Tensor loss, Tensor items) Compute(Tensor[] raw, Tensor targets)
    {
        if (raw.Length != _cfg.NumLevels)
            throw new ArgumentException($"ComputeLoss expects {_cfg.NumLevels} prediction levels, got {raw.Length}.");
        if (targets.dim() != 2 || targets.shape[1] != 6)
            throw new ArgumentException($"Targets must be (n, 6) = image, class, cx, cy, w, h; got [{string.Join(", ", targets.shape)}].");

        var device = raw[0].device;
        var st = State(device);
        using var scope = NewDisposeScope();
        var dtype = raw[0].dtype;
        targets = targets.to(dtype, device);
        var expanded = BuildTargets.Expand(targets, _cfg.NumAnchors);

        var lbox = zeros(1, dtype: dtype, device: device);
        var lobj = zeros(1, dtype: dtype, device: device);
        var lcls = zeros(1, dtype: dtype, device: device);
        long bs = raw[0].shape[0];
        for (int i = 0; i < raw.Length; i++)
        {
            var pi = raw[i];
            long ny = pi.shape[2], nx = pi.shape[3];
            var gain = tensor(new float[] { 1, 1, nx, ny, nx, ny, 1 }, device: device).to_type(dtype);
            using var tgt = BuildTargets.ForLevel(expanded, st.Anchors[i].to_type(dtype), st.Offsets.to_type(dtype), gain, ny, nx, _hyp.AnchorT);
            var tobj = zeros(new[] { pi.shape[0], pi.shape[1], ny, nx }, dtype: dtype, device: device);

            long n = tgt.Count;
            if (n > 0)
            {
                var ps = pi.index(tgt.Image, tgt.Anchor, tgt.GridY, tgt.GridX);          // (n, no) predictions at positives
                var parts = ps.split(new long[] { 2, 2, 1, _cfg.Nc }, 1);
                var pxy = parts[0].sigmoid() * 2 - 0.5;
                var pwh = (parts[1].sigmoid() * 2).pow(2) * tgt.AnchorWh;
                var pbox = cat(new[] { pxy, pwh }, 1);
                var iou = BoxOps.BboxIou(pbox, tgt.Box, xywh: true, kind: IouKind.CIoU).squeeze();
                lbox = lbox + (1.0 - iou).mean();

                // gr = 1: the objectness target is the box quality itself; duplicate cells keep the last write.
                var iouT = iou.detach().clamp_min(0).to_type(dtype);
                tobj.index_put_(iouT, tgt.Image, tgt.Anchor, tgt.GridY, tgt.GridX);

                if (_cfg.Nc > 1)
                {
                    var pcls = parts[3];
                    var t = full_like(pcls, _cn);
                    t.index_put_(tensor(_cp, dtype: dtype, device: device), arange(n, device: device), tgt.Class);
                    lcls = lcls + st.BceCls.Forward(pcls, t);
                }
            }

            var obji = st.BceObj.Forward(pi.select(-1, 4), tobj);
            lobj = lobj + obji * _balance[i];
        }

        lbox = lbox * _hyp.Box;
        lobj = lobj * _hyp.Obj;
        lcls = lcls * _hyp.Cls;
        var loss = (lbox + lobj + lcls) * bs;
        var items = cat(new[] { lbox, lobj, lcls }).detach();
        return (scope.MoveToOuter(loss), scope.MoveToOuter(items));
    }

    DeviceState State(Device device)
    {
        if (_state is { } s && s.Device.type == device.type && s.Device.index == device.index) return s;
        _state?.Dispose();
        _state = new DeviceState(device, _cfg, _hyp);
        return _state;
    }

    public void Dispose()
    {
        _state?.Dispose();
        _state = null;
    }

    /// <summary>
    /// Per-device constants: anchors in grid units, neighbour offsets and the BCE criteria with their pos_weight.
    /// Created lazily inside the caller's dispose scope, so they are detached from it to outlive the step.
    /// </summary>
    sealed class DeviceState : IDisposable
    {
        public Device Device { get; }
        public Tensor[] Anchors { get; }
        public Tensor Offsets { get; }
        public BceWithLogits BceCls { get; }
        public BceWithLogits BceObj { get; }

        public DeviceState(Device device, ModelConfig cfg, Hyp hyp)
        {
            Device = device;
            Anchors = new Tensor[cfg.NumLevels];
            for (int i = 0; i < cfg.NumLevels; i++)
            {
                using var px = tensor(cfg.AnchorsPx[i], device: device).view(-1, 2);
                Anchors[i] = (px / (float)cfg.Strides[i]).DetachFromDisposeScope();
            }
            using var offsets = tensor(new float[] { 0, 0, 1, 0, 0, 1, -1, 0, 0, -1 }, device: device).view(5, 2);
            Offsets = (offsets * 0.5).DetachFromDisposeScope();
            BceCls = new BceWithLogits(hyp.ClsPw, hyp.FlGamma, device);
            BceObj = new BceWithLogits(hyp.ObjPw, hyp.FlGamma, device);
        }

        public void Dispose()
        {
            foreach (var a in Anchors) a.Dispose();
            Offsets.Dispose();
            BceCls.Dispose();
            BceObj.Dispose();
        }
    }
}
