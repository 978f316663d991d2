using OpenCvSharp;

namespace YoloDistill.Detector.Data.Augment;

/// <summary>Ultralytics mixup: blend two images with r ~ Beta(32, 32) and keep both label sets.</summary>
public static class MixUp
{
    /// <summary>Returns a new Mat; the label lists are concatenated into <paramref name="labels"/>.</summary>
    public static Mat Apply(Mat im, List<BoxLabel> labels, Mat im2, List<BoxLabel> labels2, SampleRng rng)
    {
        double r = rng.Beta(32.0, 32.0);
        var output = new Mat();
        // Ultralytics truncates (astype(uint8)); addWeighted rounds, so shift by half a level to truncate.
        Cv2.AddWeighted(im, r, im2, 1 - r, -0.5, output);
        labels.AddRange(labels2);
        return output;
    }
}
