using System.Text.Json;
using OpenCvSharp;

namespace YoloDistill.Detector.Tests.Training;

/// <summary>A few small images with coloured boxes of two classes, in COCO layout (train2017 = val2017), for trainer tests.</summary>
static class SynthCoco
{
    /// <param name="tinyEvery">When positive, every tinyEvery-th box is 3x3 pixels (2x2 at a 64 training size): no default anchor reaches it.</param>
    public static string Write(int images = 8, int seed = 0, int tinyEvery = 0)
    {
        var root = Directory.CreateTempSubdirectory("synthcoco").FullName;
        var rng = new Random(seed);
        var imgs = new List<object>();
        var anns = new List<object>();
        int annId = 1;
        foreach (var split in new[] { "train2017", "val2017" })
            Directory.CreateDirectory(Path.Combine(root, split));
        for (int i = 0; i < images; i++)
        {
            int w = 96, h = 80;
            using var m = new Mat(h, w, MatType.CV_8UC3, new Scalar(114, 114, 114));
            int nBoxes = 1 + i % 2;
            for (int k = 0; k < nBoxes; k++)
            {
                int cls = (i + k) % 2;
                int bw = rng.Next(20, 40), bh = rng.Next(20, 36);
                if (tinyEvery > 0 && (annId - 1) % tinyEvery == 0) (bw, bh) = (3, 3);
                int x = rng.Next(0, w - bw), y = rng.Next(0, h - bh);
                var color = cls == 0 ? new Scalar(0, 0, 230) : new Scalar(230, 40, 0);
                Cv2.Rectangle(m, new Rect(x, y, bw, bh), color, -1);
                anns.Add(new { id = annId++, image_id = i + 1, category_id = cls + 1, bbox = new[] { x, y, bw, bh }, area = bw * bh, iscrowd = 0 });
            }
            var name = $"{i:D3}.jpg";
            foreach (var split in new[] { "train2017", "val2017" })
                Cv2.ImWrite(Path.Combine(root, split, name), m);
            imgs.Add(new { id = i + 1, file_name = name, width = w, height = h });
        }
        var json = JsonSerializer.Serialize(new
        {
            images = imgs, annotations = anns,
            categories = new[] { new { id = 1, name = "red" }, new { id = 2, name = "blue" } },
        });
        Directory.CreateDirectory(Path.Combine(root, "annotations"));
        File.WriteAllText(Path.Combine(root, "annotations", "instances_train2017.json"), json);
        File.WriteAllText(Path.Combine(root, "annotations", "instances_val2017.json"), json);
        return root;
    }
}
