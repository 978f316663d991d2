namespace YoloDistill.Distill.Demo;

/// <summary>
/// The main job's settings. Defaults are sized so the whole run fits in about 20 minutes on 2 CPU cores:
/// a yolov5n student at 320 px for a fixed number of epochs, once alone and once with FGFI from the shipped teacher.
/// </summary>
public sealed record DemoOptions
{
    /// <summary>Built-in synthetic dataset root (made when absent).</summary>
    public string Data { get; init; } = "datasets/shapes";
    public int DataSeed { get; init; }
    /// <summary>Teacher weights shipped in the repository (trained by this project's train command on the same data).</summary>
    public string Teacher { get; init; } = "weights/teacher-yolov5s-shapes.ckpt";
    /// <summary>Train the teacher instead of using the shipped one.</summary>
    public bool TrainTeacher { get; init; }
    public string TeacherModel { get; init; } = "yolov5s";
    public int TeacherEpochs { get; init; } = 12;
    public string Student { get; init; } = "yolov5n";
    public int Epochs { get; init; } = 12;
    public int Batch { get; init; } = 16;
    public int Img { get; init; } = 320;
    public int Seed { get; init; }
    public string Method { get; init; } = "fgfi";
    public double ImitationWeight { get; init; } = 0.01;
    public string Device { get; init; } = "auto";
    public int Workers { get; init; } = 2;
    /// <summary>torch intra-op threads for every stage (0 = libtorch default; 1 is faster when the machine is busy).</summary>
    public int Threads { get; init; }
    /// <summary>
    /// Confidence threshold for the demo video. Lower than detect's 0.25 because the demo's student, trained for minutes,
    /// is far from converged: on the demo video its confidences peak around 0.2.
    /// </summary>
    public double DetectConf { get; init; } = 0.1;
    /// <summary>Where every artefact goes; finished stages found here are reused.</summary>
    public string Out { get; init; } = "runs/demo";
}
