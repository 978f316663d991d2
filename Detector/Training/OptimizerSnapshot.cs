using System.Text.Json.Nodes;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Training;

/// <summary>
/// An optimizer's full state (per-group hyperparameters and per-parameter buffers: SGD momentum, Adam moments and step)
/// as plain CPU tensors plus JSON, so a checkpoint can restore it exactly. TorchSharp's own save_state_dict is not used
/// because its State.to(device) does not move the buffers and its stream has no names to check against.
/// </summary>
public sealed class OptimizerSnapshot : IDisposable
{
    public required string Type { get; init; }
    public required JsonArray Groups { get; init; }
    /// <summary>Per parameter (groups in order, parameters in order): state name -> tensor; Adam's step is in <see cref="Steps"/>.</summary>
    public required List<Dictionary<string, Tensor>> States { get; init; }
    public required long[] Steps { get; init; }

    public static OptimizerSnapshot Capture(OptimizerHelper optimizer)
    {
        var groups = new JsonArray();
        foreach (ParamGroup g in optimizer.ParamGroups)
        {
            var o = new JsonObject { ["lr"] = g.LearningRate, ["initial_lr"] = g.InitialLearningRate, ["params"] = g.Parameters.Count() };
            switch (g.Options)
            {
                case SGD.Options s:
                    o["momentum"] = s.momentum; o["dampening"] = s.dampening; o["weight_decay"] = s.weight_decay; o["nesterov"] = s.nesterov;
                    break;
                case Adam.Options a:
                    o["beta1"] = a.beta1; o["beta2"] = a.beta2; o["eps"] = a.eps; o["weight_decay"] = a.weight_decay; o["amsgrad"] = a.amsgrad;
                    break;
                case AdamW.Options a:
                    o["beta1"] = a.beta1; o["beta2"] = a.beta2; o["eps"] = a.eps; o["weight_decay"] = a.weight_decay; o["amsgrad"] = a.amsgrad;
                    break;
            }
            groups.Add(o);
        }
        var states = new List<Dictionary<string, Tensor>>();
        var steps = new List<long>();
        foreach (var st in optimizer.state_dict().State)
        {
            var d = new Dictionary<string, Tensor>();
            long step = 0;
            switch (st)
            {
                case SGD.State s:
                    if (s.momentum_buffer is not null) d["momentum_buffer"] = Cpu(s.momentum_buffer);
                    break;
                case Adam.State a:
                    step = a.step; AddMoments(d, a.exp_avg, a.exp_avg_sq, a.max_exp_avg_sq);
                    break;
                case AdamW.State a:
                    step = a.step; AddMoments(d, a.exp_avg, a.exp_avg_sq, a.max_exp_avg_sq);
                    break;
                default:
                    throw new NotSupportedException($"Optimizer state {st.GetType().Name} cannot be checkpointed (use SGD, Adam or AdamW).");
            }
            states.Add(d);
            steps.Add(step);
        }
        return new OptimizerSnapshot { Type = optimizer.GetType().Name, Groups = groups, States = states, Steps = steps.ToArray() };
    }

    /// <summary>Puts the state back into an optimizer built the same way (same type, groups and parameter shapes).</summary>
    public void Restore(OptimizerHelper optimizer)
    {
        if (optimizer.GetType().Name != Type)
            throw new InvalidDataException($"checkpoint holds {Type} optimizer state, but the run uses {optimizer.GetType().Name}.");
        var pgs = optimizer.ParamGroups.Cast<ParamGroup>().ToArray();
        if (pgs.Length != Groups.Count)
            throw new InvalidDataException($"checkpoint optimizer has {Groups.Count} parameter groups, the run has {pgs.Length}.");
        var parameters = pgs.SelectMany(g => g.Parameters).ToArray();
        var sd = optimizer.state_dict();
        if (sd.State.Count != States.Count || parameters.Length != States.Count)
            throw new InvalidDataException($"checkpoint optimizer has state for {States.Count} parameters, the run has {parameters.Length}.");
        for (int j = 0; j < pgs.Length; j++)
        {
            var o = Groups[j]!.AsObject();
            if (o["params"]!.GetValue<int>() != pgs[j].Parameters.Count())
                throw new InvalidDataException($"checkpoint optimizer group {j} has {o["params"]} parameters, the run has {pgs[j].Parameters.Count()}.");
            pgs[j].LearningRate = o["lr"]!.GetValue<double>();
            pgs[j].InitialLearningRate = o["initial_lr"]!.GetValue<double>();
            switch (pgs[j].Options)
            {
                case SGD.Options s:
                    s.momentum = o["momentum"]!.GetValue<double>(); s.weight_decay = o["weight_decay"]!.GetValue<double>();
                    break;
                case Adam.Options a:
                    a.beta1 = o["beta1"]!.GetValue<double>(); a.beta2 = o["beta2"]!.GetValue<double>(); a.weight_decay = o["weight_decay"]!.GetValue<double>();
                    break;
                case AdamW.Options a:
                    a.beta1 = o["beta1"]!.GetValue<double>(); a.beta2 = o["beta2"]!.GetValue<double>(); a.weight_decay = o["weight_decay"]!.GetValue<double>();
                    break;
            }
        }
        for (int i = 0; i < States.Count; i++)
        {
            var p = parameters[i];
            var d = States[i];
            foreach (var t in d.Values)
                if (!t.shape.SequenceEqual(p.shape))
                    throw new InvalidDataException($"checkpoint optimizer state {i} has shape [{string.Join(",", t.shape)}], parameter has [{string.Join(",", p.shape)}].");
            switch (sd.State[i])
            {
                case SGD.State s:
                    s.momentum_buffer?.Dispose();
                    s.momentum_buffer = d.TryGetValue("momentum_buffer", out var mb) ? To(mb, p) : null!;
                    break;
                case Adam.State a:
                    a.step = Steps[i];
                    RestoreMoments(d, p, ref a.exp_avg, ref a.exp_avg_sq, ref a.max_exp_avg_sq);
                    break;
                case AdamW.State a:
                    a.step = Steps[i];
                    RestoreMoments(d, p, ref a.exp_avg, ref a.exp_avg_sq, ref a.max_exp_avg_sq);
                    break;
            }
        }
    }

    /// <summary>Tensors named "{index}/{state}" for a checkpoint.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> NamedTensors() =>
        States.SelectMany((d, i) => d.Select(kv => ($"{i}/{kv.Key}", kv.Value)));

    public JsonObject ToJson() => new()
    {
        ["type"] = Type,
        ["groups"] = Groups.DeepClone(),
        ["steps"] = new JsonArray(Steps.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
        ["count"] = States.Count,
    };

    public static OptimizerSnapshot FromJson(JsonObject o, IReadOnlyDictionary<string, Tensor> tensors)
    {
        int n = o["count"]!.GetValue<int>();
        var states = Enumerable.Range(0, n).Select(_ => new Dictionary<string, Tensor>()).ToList();
        foreach (var (name, t) in tensors)
        {
            int slash = name.IndexOf('/');
            if (slash <= 0 || !int.TryParse(name[..slash], out var i) || i < 0 || i >= n)
                throw new InvalidDataException($"unexpected optimizer tensor '{name}'.");
            states[i][name[(slash + 1)..]] = t;
        }
        return new OptimizerSnapshot
        {
            Type = o["type"]!.GetValue<string>(),
            Groups = o["groups"]!.AsArray().DeepClone().AsArray(),
            States = states,
            Steps = o["steps"]!.AsArray().Select(s => s!.GetValue<long>()).ToArray(),
        };
    }

    public void Dispose()
    {
        foreach (var d in States)
            foreach (var t in d.Values) t.Dispose();
        States.Clear();
    }

    static Tensor Cpu(Tensor t) => t.detach().cpu().clone();

    static Tensor To(Tensor t, Tensor like) => t.to(like.dtype, like.device).clone().DetachFromDisposeScope();

    static void AddMoments(Dictionary<string, Tensor> d, Tensor m, Tensor v, Tensor? vmax)
    {
        d["exp_avg"] = Cpu(m);
        d["exp_avg_sq"] = Cpu(v);
        if (vmax is not null) d["max_exp_avg_sq"] = Cpu(vmax);
    }

    static void RestoreMoments(Dictionary<string, Tensor> d, Tensor p, ref Tensor m, ref Tensor v, ref Tensor vmax)
    {
        using var ng = TorchSharp.torch.no_grad();
        m.copy_(d["exp_avg"]);
        v.copy_(d["exp_avg_sq"]);
        if (d.TryGetValue("max_exp_avg_sq", out var mx))
        {
            vmax?.Dispose();
            vmax = To(mx, p);
        }
    }
}
