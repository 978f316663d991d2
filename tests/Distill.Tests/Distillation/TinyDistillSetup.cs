using TorchSharp;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Weights;

namespace YoloDistill.Distill.Tests.Distillation;

/// <summary>
/// The smallest real distillation setup, shared by the tests that run one: a synthetic shapes set (8 train and 2 val
/// images of 64 px) and a yolov5s teacher and a yolov5n student start written to files in a fresh temporary folder.
/// Weights come from files so that every run of a test starts from the same numbers whatever other tests did to
/// torch's global generator.
/// </summary>
sealed record TinyDistillSetup(string Root, string Data, string Teacher, string StudentInit)
{
    /// <param name="name">Prefix of the temporary folder.</param>
    /// <param name="dataSeed">Seed of the synthetic set.</param>
    /// <param name="weightsSeed">Seed of the weights: torch's global generator with the default initialisation (under a
    /// lock), or, with <paramref name="uniform"/>, a private generator drawing every parameter from U(-0.1, 0.1).</param>
    /// <param name="uniform">Draw the weights from a private generator instead of the default initialisation.</param>
    public static TinyDistillSetup Create(string name, int dataSeed, long weightsSeed, bool uniform = false)
    {
        var root = Directory.CreateTempSubdirectory(name).FullName;
        var data = Path.Combine(root, "data");
        SynthDataset.Generate(data, dataSeed, new SynthOptions { Train = 8, Val = 2, ImgSize = 64 });
        var teacher = Path.Combine(root, "teacher.safetensors");
        var student = Path.Combine(root, "student.safetensors");
        var ts = ModelConfig.FromName("yolov5s", 8, SynthDomain.Shapes.Classes.Select(c => c.Name).ToArray());
        var ns = ModelConfig.FromName("yolov5n", 8, ts.Names);
        if (uniform)
        {
            using var g = new torch.Generator((ulong)weightsSeed);
            using var m = new YoloModel(ts);
            using var n = new YoloModel(ns);
            using (torch.no_grad())
                foreach (var p in m.parameters().Concat(n.parameters())) p.copy_((torch.rand(p.shape, generator: g) - 0.5) * 0.2);
            WeightsFile.SaveSafeTensors(teacher, m.state_dict(), ts);
            WeightsFile.SaveSafeTensors(student, n.state_dict(), ns);
        }
        else
        {
            lock (typeof(torch))
            {
                torch.manual_seed(weightsSeed);
                using (var m = new YoloModel(ts)) WeightsFile.SaveSafeTensors(teacher, m.state_dict(), ts);
                using (var m = new YoloModel(ns)) WeightsFile.SaveSafeTensors(student, m.state_dict(), ns);
            }
        }
        return new TinyDistillSetup(root, data, teacher, student);
    }
}
