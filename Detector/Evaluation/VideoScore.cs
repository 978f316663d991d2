using System.Globalization;
using CsvHelper;

namespace YoloDistill.Detector.Evaluation;

/// <summary>Precision and recall of a detector's boxes on a labelled video, counted over all frames.</summary>
public sealed record VideoScoreResult(int Frames, int Labels, int Detections, int TruePositives)
{
    public double Precision => Detections == 0 ? 0 : TruePositives / (double)Detections;
    public double Recall => Labels == 0 ? 0 : TruePositives / (double)Labels;
}

/// <summary>
/// Scores detections (detections.csv, as detect writes it) against a video's labels (the same columns): per frame, the
/// detections in decreasing confidence each take the unmatched label of their class with the highest IoU, if that IoU is
/// at least the threshold (COCO's greedy matching); matched detections are true positives.
/// </summary>
public static class VideoScore
{
    public static VideoScoreResult Score(string labelsCsv, string detectionsCsv, double iouThreshold = 0.5)
    {
        var labels = Read(labelsCsv);
        var dets = Read(detectionsCsv);
        int tp = 0;
        foreach (var (frame, truth) in labels)
        {
            if (!dets.TryGetValue(frame, out var found)) continue;
            var used = new bool[truth.Count];
            foreach (var d in found.OrderByDescending(d => d.Conf))
            {
                int best = -1;
                double bestIou = iouThreshold;
                for (int i = 0; i < truth.Count; i++)
                {
                    if (used[i] || truth[i].Class != d.Class) continue;
                    double iou = Iou(d.X1, d.Y1, d.X2, d.Y2, truth[i].X1, truth[i].Y1, truth[i].X2, truth[i].Y2);
                    if (iou >= bestIou) { bestIou = iou; best = i; }
                }
                if (best >= 0) { used[best] = true; tp++; }
            }
        }
        int frames = labels.Keys.Concat(dets.Keys).Distinct().Count();
        return new VideoScoreResult(frames, labels.Values.Sum(v => v.Count), dets.Values.Sum(v => v.Count), tp);
    }

    readonly record struct Box(int Class, float Conf, float X1, float Y1, float X2, float Y2);

    static Dictionary<int, List<Box>> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: detections file not found.", path);
        using var reader = new StreamReader(path);
        using var csv = CsvReader.Create(reader, new CsvReaderOptions { HasHeader = false, TrimWhitespace = true, SkipEmptyLines = true });
        var byFrame = new Dictionary<int, List<Box>>();
        int row = 0;
        while (csv.Read())
        {
            if (++row == 1) continue; // header
            try
            {
                int frame = int.Parse(csv.GetString(1), CultureInfo.InvariantCulture);
                var b = new Box(int.Parse(csv.GetString(2), CultureInfo.InvariantCulture), F(csv.GetString(4)),
                    F(csv.GetString(5)), F(csv.GetString(6)), F(csv.GetString(7)), F(csv.GetString(8)));
                if (!byFrame.TryGetValue(frame, out var list)) byFrame[frame] = list = [];
                list.Add(b);
            }
            catch (Exception e) when (e is FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
            {
                throw new InvalidDataException($"{path}: row {row} is not source,frame,class_id,class_name,conf,x1,y1,x2,y2 ({e.Message}).", e);
            }
        }
        return byFrame;
    }

    static double Iou(float ax1, float ay1, float ax2, float ay2, float bx1, float by1, float bx2, float by2)
    {
        double iw = Math.Min(ax2, bx2) - Math.Max(ax1, bx1), ih = Math.Min(ay2, by2) - Math.Max(ay1, by1);
        if (iw <= 0 || ih <= 0) return 0;
        double inter = iw * ih;
        return inter / ((ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter);
    }

    static float F(string s) => float.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
}
