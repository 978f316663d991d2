using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.EventEmitters;

namespace YoloDistill.Detector.Training;

/// <summary>
/// opt.yaml in a run folder: every settable <see cref="TrainOptions"/> property under its own name, as train.py
/// records its arguments. Strings are quoted where YAML would read them otherwise (a path with ": ", "null", "123"),
/// so the file reads back as written; lists stay on one line ([0]) and null is written "null", as before.
/// </summary>
public static class OptionsYaml
{
    static readonly ISerializer Serializer = new SerializerBuilder()
        .WithQuotingNecessaryStrings()
        .WithEventEmitter(next => new PyYamlStyle(next))
        .WithNewLine("\n")
        .Build();

    public static string ToYaml(TrainOptions o)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var p in typeof(TrainOptions).GetProperties().Where(p => p.CanWrite).OrderBy(p => p.MetadataToken))
            values[p.Name] = p.GetValue(o) is Enum e ? e.ToString() : p.GetValue(o);
        return Serializer.Serialize(values);
    }

    public static void Save(string path, TrainOptions o) => Common.AtomicFile.WriteAllText(path, ToYaml(o));

    sealed class PyYamlStyle(IEventEmitter next) : ChainedEventEmitter(next)
    {
        public override void Emit(SequenceStartEventInfo eventInfo, YamlDotNet.Core.IEmitter emitter)
        {
            eventInfo.Style = SequenceStyle.Flow;
            base.Emit(eventInfo, emitter);
        }

        // YamlDotNet writes null as an empty value; "null" reads the same and is what PyYAML writes in train.py's opt.yaml.
        public override void Emit(ScalarEventInfo eventInfo, YamlDotNet.Core.IEmitter emitter)
        {
            if (eventInfo.Source.Value is null) emitter.Emit(new Scalar("null"));
            else base.Emit(eventInfo, emitter);
        }
    }
}
