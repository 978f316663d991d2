using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace YoloDistill.Distill.Distillation;

/// <summary>
/// One convolution per level from the student's feature channels to the teacher's, so that features of detectors of
/// different widths can be compared. Trained with the student (its parameters go into the optimizer), saved beside
/// it in checkpoints for resume, never exported: the deployed student is the plain detector.
/// Parameter names are "adapters.{level}.weight" / ".bias" when registered under the name "adapters".
/// </summary>
public sealed class Adapters : nn.Module<Tensor[], Tensor[]>
{
    /// <summary>The name the adapters' parameters are prefixed with in checkpoints.</summary>
    public const string ModuleName = "adapters";

    public static readonly LossSetting<AdapterKind> Kernel = new("adapter", "Adaptation layer of the feature losses: 1x1 or 3x3 convolution",
        AdapterKind.Conv1x1, AdapterKindParser.Parse, AdapterKindParser.Format);
    public static readonly LossSetting<AdapterInit> Init = Setting.Choice("adapter-init", "Adapter initialisation: libtorch's default, or small (N(0, 1e-4), FGFI's code)", AdapterInit.Default);

    /// <summary>The adapters' settings, shared by every loss that compares features.</summary>
    public static IReadOnlyList<LossSetting> Settings { get; } = [Kernel, Init];

    readonly ModuleList<Conv2d> convs;

    public IReadOnlyList<long> StudentChannels { get; }
    public IReadOnlyList<long> TeacherChannels { get; }
    public AdapterKind Kind { get; }

    public Adapters(IReadOnlyList<long> studentChannels, IReadOnlyList<long> teacherChannels, AdapterKind kind = AdapterKind.Conv1x1,
        AdapterInit init = AdapterInit.Default, Generator? generator = null)
        : base(ModuleName)
    {
        if (studentChannels.Count != teacherChannels.Count)
            throw new ArgumentException($"The student has {studentChannels.Count} feature levels and the teacher {teacherChannels.Count}; adapters need the same number.");
        StudentChannels = studentChannels.ToArray();
        TeacherChannels = teacherChannels.ToArray();
        Kind = kind;
        int k = kind == AdapterKind.Conv3x3 ? 3 : 1;
        convs = new ModuleList<Conv2d>(studentChannels
            .Select((c, i) => nn.Conv2d(c, teacherChannels[i], k, padding: k / 2, bias: true))
            .ToArray());
        RegisterComponents();
        Initialise(init, generator);
    }

    /// <summary>
    /// Draws the weights from <paramref name="generator"/> (so that a seed fixes them whatever else uses torch's global
    /// generator): Default as libtorch's Conv2d does, U(±1/√fan_in) for weight and bias; Small with the weight from
    /// N(0, 1e-4) truncated at two deviations, as FGFI's reference code.
    /// </summary>
    void Initialise(AdapterInit init, Generator? generator)
    {
        using var _ = no_grad();
        foreach (var c in convs)
        {
            var w = c.weight!;
            double bound = 1 / Math.Sqrt(w.shape[1] * w.shape[2] * w.shape[3]);
            if (init == AdapterInit.Small) w.copy_(randn(w.shape, generator: generator).fmod_(2).mul_(1e-4));
            else w.copy_(rand(w.shape, generator: generator).mul_(2 * bound).sub_(bound));
            c.bias!.copy_(rand(c.bias.shape, generator: generator).mul_(2 * bound).sub_(bound));
        }
    }

    /// <summary>Number of levels.</summary>
    public int Count => convs.Count;

    public Tensor Adapt(int level, Tensor studentFeature) => convs[level].forward(studentFeature);

    public override Tensor[] forward(Tensor[] studentFeatures)
    {
        if (studentFeatures.Length != convs.Count)
            throw new ArgumentException($"Adapters were built for {convs.Count} levels but got {studentFeatures.Length} feature maps.");
        return studentFeatures.Select((f, i) => convs[i].forward(f)).ToArray();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) convs.Dispose();
        base.Dispose(disposing);
    }
}
