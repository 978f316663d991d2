using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using YoloDistill.Detector.Common;
using YoloDistill.Detector.Weights;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Training;

/// <summary>
/// yolo-distill's checkpoint file (.ckpt): the training state of <see cref="CheckpointData"/> in the container that
/// <see cref="CheckpointFile"/> reads and writes (magic, version, JSON header, tensors, SHA-256). Written through
/// <see cref="AtomicFile"/>, so a crash leaves either the old or the new file;
/// a damaged, truncated or foreign-version file is refused with a message naming it.
/// </summary>
public static class Checkpoint
{
    public const int FormatVersion = CheckpointFile.FormatVersion;

    static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>True when these first bytes of a file are the checkpoint magic.</summary>
    public static bool HasMagic(ReadOnlySpan<byte> head) => CheckpointFile.HasMagic(head);

    /// <summary>True when the file starts with the checkpoint magic (cheap; does not validate the rest).</summary>
    public static bool IsCheckpoint(string path) => CheckpointFile.IsCheckpoint(path);

    public static void Save(string path, CheckpointData c)
    {
        var meta = new JsonObject
        {
            ["format"] = "yolo-distill-checkpoint",
            ["config"] = CheckpointFile.ConfigToJson(c.Config),
            ["epoch"] = c.Epoch,
            ["best_fitness"] = c.BestFitness,
            ["best_epoch"] = c.BestEpoch,
            ["ema_updates"] = c.EmaUpdates,
            ["last_opt_step"] = c.LastOptStep,
            ["seed"] = c.Seed,
            ["hyp"] = JsonSerializer.SerializeToNode(c.Hyp, Json),
            ["options"] = c.Options is null ? null : JsonSerializer.SerializeToNode(c.Options, Json),
            ["optimizer"] = c.Optimizer?.ToJson(),
            ["has_model"] = c.Model is not null,
            ["extras"] = new JsonArray(c.Extras.Keys.Order(StringComparer.Ordinal).Select(k => (JsonNode)JsonValue.Create(k)!).ToArray()),
            ["metadata"] = new JsonObject(c.Metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
            ["date"] = c.Date,
        };
        var tensors = new List<(string Name, Tensor T)>();
        tensors.AddRange(c.Ema.Select(kv => ("ema/" + kv.Key, kv.Value)));
        if (c.Model is not null) tensors.AddRange(c.Model.Select(kv => ("model/" + kv.Key, kv.Value)));
        if (c.Optimizer is not null) tensors.AddRange(c.Optimizer.NamedTensors().Select(x => ("optim/" + x.Name, x.Tensor)));
        foreach (var (g, d) in c.Extras)
        {
            if (g.Contains('/')) throw new ArgumentException($"Extra tensor group name '{g}' must not contain '/'.");
            tensors.AddRange(d.Select(kv => ($"extra/{g}/{kv.Key}", kv.Value)));
        }
        CheckpointFile.Write(path, meta, tensors);
    }

    public static CheckpointData Load(string path)
    {
        using var contents = CheckpointFile.Read(path);
        try { return FromContents(contents); }
        catch (Exception e) when (CheckpointFile.IsHeaderError(e)) { throw CheckpointFile.MalformedHeader(path, e); }
    }

    static CheckpointData FromContents(CheckpointContents contents)
    {
        var meta = contents.Meta;
        Dictionary<string, Tensor> Take(string k) => contents.Take(k);

        var extras = new Dictionary<string, Dictionary<string, Tensor>>(StringComparer.Ordinal);
        foreach (var e in meta["extras"]!.AsArray()) extras[e!.GetValue<string>()] = Take("extra/" + e.GetValue<string>());
        var optJson = meta["optimizer"] as JsonObject;
        var optTensors = Take("optim");
        return new CheckpointData
        {
            Config = CheckpointFile.ConfigFromJson(meta["config"]!.AsObject()),
            Ema = Take("ema"),
            Model = meta["has_model"]!.GetValue<bool>() ? Take("model") : null,
            Optimizer = optJson is null ? null : OptimizerSnapshot.FromJson(optJson, optTensors),
            Epoch = meta["epoch"]!.GetValue<int>(),
            BestFitness = meta["best_fitness"]!.GetValue<double>(),
            BestEpoch = meta["best_epoch"]!.GetValue<int>(),
            EmaUpdates = meta["ema_updates"]!.GetValue<long>(),
            LastOptStep = meta["last_opt_step"]!.GetValue<long>(),
            Seed = meta["seed"]!.GetValue<int>(),
            Hyp = meta["hyp"].Deserialize<Hyp>(Json)!,
            Options = meta["options"] is JsonObject o ? o.Deserialize<TrainOptions>(Json) : null,
            Extras = extras,
            Metadata = meta["metadata"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>(), StringComparer.Ordinal),
            Date = meta["date"]?.GetValue<string>() ?? "",
        };
    }
}
