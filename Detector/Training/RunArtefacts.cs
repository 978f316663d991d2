using YoloDistill.Detector.Common;
using YoloDistill.Detector.Data;

namespace YoloDistill.Detector.Training;

/// <summary>
/// What a run leaves in its folder besides checkpoints: hyp.yaml and opt.yaml (the settings it started with),
/// labels.png, a results.csv row per epoch and results.png redrawn from it (the plots unless --noplots).
/// </summary>
internal sealed class RunArtefacts(TrainOptions options)
{
    /// <summary>A new run's settings and label statistics; a resumed run keeps the ones its start wrote.</summary>
    public void WriteStart(Hyp hyp, CocoDataset trainSet)
    {
        HypYaml.Save(Path.Combine(options.SaveDir, "hyp.yaml"), hyp);
        OptionsYaml.Save(Path.Combine(options.SaveDir, "opt.yaml"), options);
        if (!options.NoPlots)
            LabelsPlot.Save(Path.Combine(options.SaveDir, "labels.png"), trainSet.Images.SelectMany(im => im.Labels.Select(l => l.Class)).ToArray(),
                            trainSet.Names.ToArray());
    }

    /// <summary>On resume: drops rows of epochs the checkpoint has not seen (an interrupted epoch is trained again).</summary>
    public void CutBackTo(int startEpoch) => ResultsCsv.TruncateTo(options.ResultsCsvPath, startEpoch);

    public void AppendEpoch(EpochResult row)
    {
        ResultsCsv.Append(options.ResultsCsvPath, row);
        if (!options.NoPlots) ResultsPlot.Save(Path.Combine(options.SaveDir, "results.png"), ResultsCsv.Read(options.ResultsCsvPath));
    }
}
