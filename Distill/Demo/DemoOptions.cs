namespace YoloDistill.Distill.Demo;

/// <summary>
/// The main job's settings. Defaults are sized so the whole run fits in about 20 minutes on 2 CPU cores: a yolov5n
/// student started from the shipped pretrained weights, fine-tuned at 320 px for a few epochs on the built-in data, once
/// alone and once distilled from the shipped teacher (FGFI with output KD, distill's default settings otherwise).
/// </summary>
public sealed record DemoOptions
{
    /// <summary>Built-in synthetic dataset root (made when absent).</summary>
    public string Data { get; init; } = "datasets/shapes";
    public int DataSeed { get; init; }
    /// <summary>Teacher weights shipped in the repository (README, "The shipped weights": made by this project's commands).</summary>
    public string Teacher { get; init; } = "weights/teacher-yolov5s-shapes.ckpt";
    /// <summary>Pretrained student weights shipped in the repository, the starting point of both students.</summary>
    public string StudentWeights { get; init; } = "weights/yolov5n-pretrain.ckpt";
    /// <summary>Make both shipped weights files with the README's recipe instead of using them (hours on 2 cores).</summary>
    public bool MakeWeights { get; init; }
    /// <summary>The pretraining set the recipe makes and pretrains on.</summary>
    public string PretrainData { get; init; } = "datasets/pretrain";
    public int PretrainSeed { get; init; } = 1;
    public int PretrainImages { get; init; } = 1600;
    /// <summary>Recipe: epochs of the student's pretraining.</summary>
    public int StudentPretrainEpochs { get; init; } = 20;
    public string TeacherModel { get; init; } = "yolov5s";
    /// <summary>Recipe: epochs of the teacher from scratch on the built-in data, then of its second run from those weights.</summary>
    public int TeacherScratchEpochs { get; init; } = 12;
    public int TeacherEpochs { get; init; } = 10;
    public string Student { get; init; } = "yolov5n";
    /// <summary>Epochs of each student (the distillation benchmark's budget).</summary>
    public int Epochs { get; init; } = 5;
    public int Batch { get; init; } = 16;
    public int Img { get; init; } = 320;
    public int Seed { get; init; }
    /// <summary>distill's default, FGFI in the paper's form: the best mean over the distillation benchmark's 3 seeds (README, "Distillation benchmark").</summary>
    public string Method { get; init; } = "fgfi";
    /// <summary>FGFI's λ when given; otherwise distill's default.</summary>
    public double? ImitationWeight { get; init; }
    public string Device { get; init; } = "auto";
    public int Workers { get; init; } = 2;
    /// <summary>torch intra-op threads for every stage (0 = libtorch default; 1 is faster when the machine is busy).</summary>
    public int Threads { get; init; }
    /// <summary>Confidence threshold for the demo video (detect's default).</summary>
    public double DetectConf { get; init; } = 0.25;
    /// <summary>Where every artefact goes; finished stages found here are reused.</summary>
    public string Out { get; init; } = "runs/demo";
}
