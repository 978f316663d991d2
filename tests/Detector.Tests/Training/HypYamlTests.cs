using YoloDistill.Detector.Common;
using YoloDistill.Detector.Training;

namespace YoloDistill.Detector.Tests.Training;

public class HypYamlTests
{
    // Ultralytics data/hyps/hyp.scratch-low.yaml (v7.0), comments included.
    const string ScratchLow = """
        # YOLOv5 🚀 by Ultralytics, GPL-3.0 license
        # Hyperparameters for low-augmentation COCO training from scratch

        lr0: 0.01  # initial learning rate (SGD=1E-2, Adam=1E-3)
        lrf: 0.01  # final OneCycleLR learning rate (lr0 * lrf)
        momentum: 0.937  # SGD momentum/Adam beta1
        weight_decay: 0.0005  # optimizer weight decay 5e-4
        warmup_epochs: 3.0  # warmup epochs (fractions ok)
        warmup_momentum: 0.8  # warmup initial momentum
        warmup_bias_lr: 0.1  # warmup initial bias lr
        box: 0.05  # box loss gain
        cls: 0.5  # cls loss gain
        cls_pw: 1.0  # cls BCELoss positive_weight
        obj: 1.0  # obj loss gain (scale with pixels)
        obj_pw: 1.0  # obj BCELoss positive_weight
        iou_t: 0.20  # IoU training threshold
        anchor_t: 4.0  # anchor-multiple threshold
        # anchors: 3  # anchors per output layer (0 to ignore)
        fl_gamma: 0.0  # focal loss gamma (efficientDet default gamma=1.5)
        hsv_h: 0.015  # image HSV-Hue augmentation (fraction)
        hsv_s: 0.7  # image HSV-Saturation augmentation (fraction)
        hsv_v: 0.4  # image HSV-Value augmentation (fraction)
        degrees: 0.0  # image rotation (+/- deg)
        translate: 0.1  # image translation (+/- fraction)
        scale: 0.5  # image scale (+/- gain)
        shear: 0.0  # image shear (+/- deg)
        perspective: 0.0  # image perspective (+/- fraction), range 0-0.001
        flipud: 0.0  # image flip up-down (probability)
        fliplr: 0.5  # image flip left-right (probability)
        mosaic: 1.0  # image mosaic (probability)
        mixup: 0.0  # image mixup (probability)
        copy_paste: 0.0  # segment copy-paste (probability)
        """;

    [Fact]
    public void Scratch_low_yaml_equals_the_defaults()
    {
        Assert.Equal(new Hyp(), HypYaml.Parse(ScratchLow, "hyp.scratch-low.yaml"));
    }

    [Fact]
    public void Values_override_defaults_and_round_trip_through_ToYaml()
    {
        var h = HypYaml.Parse("lr0: 1E-3\nmixup: 0.1 # more\nscale: 0.9\n", "x.yaml");
        Assert.Equal(0.001, h.Lr0);
        Assert.Equal(0.1, h.Mixup);
        Assert.Equal(0.9, h.Scale);
        Assert.Equal(0.937, h.Momentum);
        Assert.Equal(h, HypYaml.Parse(HypYaml.ToYaml(h), "round.yaml"));
    }

    [Fact]
    public void Unknown_key_names_file_and_line()
    {
        var e = Assert.Throws<InvalidDataException>(() => HypYaml.Parse("lr0: 0.01\n\nlr_0: 0.02\n", "my.yaml"));
        Assert.StartsWith("my.yaml:3: unknown hyperparameter 'lr_0'", e.Message);
    }

    [Fact]
    public void Bad_number_names_file_line_and_value()
    {
        var e = Assert.Throws<InvalidDataException>(() => HypYaml.Parse("# c\nmomentum: fast\n", "h.yaml"));
        Assert.Equal("h.yaml:2: 'momentum' must be a number, got 'fast'.", e.Message);
    }

    [Fact]
    public void Missing_file_is_a_FileNotFoundException_naming_it()
    {
        var e = Assert.Throws<FileNotFoundException>(() => HypYaml.Load("/nonexistent/hyp.yaml"));
        Assert.Contains("/nonexistent/hyp.yaml", e.Message);
    }

    [Fact]
    public void ToYaml_writes_ultralytics_keys_in_their_order()
    {
        var yaml = HypYaml.ToYaml(new Hyp { Lr0 = 0.1 + 0.2, FlipUd = 0.25 });
        var lines = yaml.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(29, lines.Length);
        Assert.Equal("lr0: 0.30000000000000004", lines[0]);
        Assert.Equal("flipud: 0.25", lines[23]);
        Assert.Equal("label_smoothing: 0", lines[^1]);
        // The order of data/hyps/hyp.scratch-low.yaml, label_smoothing appended as train.py does.
        var order = ScratchLow.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l[..l.IndexOf(':')]);
        Assert.Equal([.. order, "label_smoothing"], lines.Select(l => l[..l.IndexOf(':')]));
    }

    [Fact]
    public void Duplicate_keys_and_non_numbers_name_the_line()
    {
        var twice = Assert.Throws<InvalidDataException>(() => HypYaml.Parse("lr0: 0.01\nlr0: 0.02\n", "d.yaml"));
        Assert.Equal("d.yaml:2: hyperparameter 'lr0' is given twice.", twice.Message);
        var list = Assert.Throws<InvalidDataException>(() => HypYaml.Parse("lr0: [1, 2]\n", "l.yaml"));
        Assert.StartsWith("l.yaml:1: 'lr0' must be a number", list.Message);
        var broken = Assert.Throws<InvalidDataException>(() => HypYaml.Parse("lr0: 0.01\n  lrf: : 0.1\n", "b.yaml"));
        Assert.StartsWith("b.yaml:", broken.Message);
    }

    [Fact]
    public void Quoted_numbers_anchors_and_an_empty_document_are_accepted()
    {
        Assert.Equal(new Hyp(), HypYaml.Parse("", "e.yaml"));
        Assert.Equal(new Hyp(), HypYaml.Parse("---\n", "e.yaml"));
        Assert.Equal(new Hyp { Lr0 = 0.02 }, HypYaml.Parse("lr0: '0.02'\nanchors: 3\n", "q.yaml"));
    }
}
