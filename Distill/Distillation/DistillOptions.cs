namespace YoloDistill.Distill.Distillation;

/// <summary>Distillation settings; defaults are those of the papers and their reference code.</summary>
public sealed record DistillOptions
{
    /// <summary>Selected losses (--method, '+'-combinable). Default FGFI.</summary>
    public DistillMethod Method { get; init; } = DistillMethod.Fgfi;

    /// <summary>λ of FGFI's imitation loss (paper and reference code: 0.01).</summary>
    public double ImitationWeight { get; init; } = FgfiLoss.DefaultWeight;

    /// <summary>ψ of FGFI's mask: a cell is on when one of its anchors has IoU &gt; ψ·max IoU of a box (paper: 0.5).</summary>
    public double Psi { get; init; } = ImitationMask.DefaultPsi;

    /// <summary>Adaptation layer kernel (default 1×1).</summary>
    public AdapterKind Adapter { get; init; } = AdapterKind.Conv1x1;

    /// <summary>Iterations over which λ ramps linearly from 0 to its value (0 = no warm-up).</summary>
    public long ImitationWarmup { get; init; }

    /// <summary>CWD loss weight (the authors' RetinaNet distillation configs: 5).</summary>
    public double CwdWeight { get; init; } = CwdLoss.DefaultWeight;

    /// <summary>CWD softmax temperature τ (the authors' detection configs: 1).</summary>
    public double CwdTau { get; init; } = CwdLoss.DefaultTau;

    /// <summary>KD loss weight (1).</summary>
    public double KdWeight { get; init; } = KdLoss.DefaultWeight;

    /// <summary>KD temperature T (1: sigmoid outputs are already calibrated probabilities).</summary>
    public double KdTemperature { get; init; } = KdLoss.DefaultTemperature;

    /// <summary>Number format of the teacher's forward pass (auto: bfloat16 on CPUs with native support, fp16 on CUDA).</summary>
    public TeacherPrecision TeacherPrecision { get; init; } = TeacherPrecision.Auto;

    /// <summary>Whether the selected losses need adapters (feature losses do, KD does not).</summary>
    public bool NeedsAdapters => (Method & (DistillMethod.Fgfi | DistillMethod.Cwd)) != 0;

    /// <summary>Throws ArgumentException naming the option that is out of range.</summary>
    public void Validate()
    {
        if (Method == DistillMethod.None) throw new ArgumentException("No distillation method selected (--method fgfi|cwd|kd).");
        if (ImitationWeight < 0) throw new ArgumentException($"--imitation-weight must be >= 0; got {ImitationWeight}.");
        if (Psi is < 0 or > 1) throw new ArgumentException($"--psi must lie in [0, 1]; got {Psi}.");
        if (ImitationWarmup < 0) throw new ArgumentException($"--imitation-warmup must be >= 0; got {ImitationWarmup}.");
        if (CwdWeight < 0) throw new ArgumentException($"--cwd-weight must be >= 0; got {CwdWeight}.");
        if (CwdTau <= 0) throw new ArgumentException($"--cwd-tau must be > 0; got {CwdTau}.");
        if (KdWeight < 0) throw new ArgumentException($"--kd-weight must be >= 0; got {KdWeight}.");
        if (KdTemperature <= 0) throw new ArgumentException($"--kd-temperature must be > 0; got {KdTemperature}.");
    }
}
