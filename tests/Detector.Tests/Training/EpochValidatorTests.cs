using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;
using YoloDistill.Detector.Evaluation;
using YoloDistill.Detector.Loss;
using YoloDistill.Detector.Model;
using YoloDistill.Detector.Training;
using static TorchSharp.torch;

namespace YoloDistill.Detector.Tests.Training;

public class EpochValidatorTests
{
    [Fact]
    public void Trainer_validation_reports_the_val_command_metrics_and_val_py_losses()
    {
        var root = Directory.CreateTempSubdirectory("epoch-val").FullName;
        try
        {
            SynthDataset.Generate(root, 7, new SynthOptions { Train = 1, Val = 4, ImgSize = 64 });
            var ds = CocoDataset.Load(root, "val");
            var cfg = ModelConfig.FromName("yolov5n", ds.NumClasses);
            using var model = new YoloModel(cfg);
            model.train();
            var loss = new ComputeLoss(new Hyp().ScaledForModel(cfg.NumLevels, cfg.Nc, 64), cfg);

            using var epochValidator = new EpochValidator(ds, 64, 2, 1);
            var got = epochValidator.Validate(model, loss);
            Assert.True(model.training); // the trainer's model comes back in training mode

            using var loader = new DetectionLoader(ds, LoaderOptions.Validation(64, 2, 1));
            var direct = new Validator().Run(model, loader, ds.ClassToCategoryId).Metrics;
            Assert.Equal(direct.MP, got.Metrics.MP);
            Assert.Equal(direct.MR, got.Metrics.MR);
            Assert.Equal(direct.Map50, got.Metrics.Map50);
            Assert.Equal(direct.Map, got.Metrics.Map);

            // two batches of 2 images: the val losses are the mean of the two batches' ComputeLoss items (val.py)
            model.eval();
            var sum = new double[3];
            int batches = 0;
            foreach (var batch in loader.Epoch(0))
            {
                using (batch)
                using (no_grad())
                using (var output = model.forward(batch.Images))
                {
                    var items = loss.Compute(output.Raw, batch.Targets).items.data<float>().ToArray();
                    for (int k = 0; k < 3; k++) sum[k] += items[k];
                }
                batches++;
            }
            Assert.Equal(2, batches);
            var losses = got.Losses!;
            Assert.Equal(sum[0] / 2, losses[0], 6);
            Assert.Equal(sum[1] / 2, losses[1], 6);
            Assert.Equal(sum[2] / 2, losses[2], 6);
            Assert.True(losses[0] > 0 && losses[1] > 0 && losses[2] > 0);
        }
        finally { Directory.Delete(root, true); }
    }
}
