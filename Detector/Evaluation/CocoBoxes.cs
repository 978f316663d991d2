namespace YoloDistill.Detector.Evaluation;

/// <summary>
/// Column storage for COCO boxes (ground truth or detections): image and category as indices into the sorted
/// id lists, bbox as x, y, w, h in pixels, and the fields matching looks at.
/// </summary>
public sealed class CocoBoxes(int capacity)
{
    public int Count { get; private set; }
    public int[] Image = new int[capacity];
    public int[] Category = new int[capacity];
    public double[] X = new double[capacity], Y = new double[capacity], W = new double[capacity], H = new double[capacity];
    public double[] Area = new double[capacity];
    public bool[] Crowd = new bool[capacity];
    public long[] Id = new long[capacity];
    public double[] Score = new double[capacity];

    public void Add(int image, int category, (double x, double y, double w, double h) box, double area, bool crowd, long id, double score)
    {
        if (Count == Image.Length) Grow();
        int i = Count++;
        Image[i] = image; Category[i] = category;
        X[i] = box.x; Y[i] = box.y; W[i] = box.w; H[i] = box.h;
        Area[i] = area; Crowd[i] = crowd; Id[i] = id; Score[i] = score;
    }

    void Grow()
    {
        int n = Math.Max(16, Image.Length * 2);
        Array.Resize(ref Image, n); Array.Resize(ref Category, n);
        Array.Resize(ref X, n); Array.Resize(ref Y, n); Array.Resize(ref W, n); Array.Resize(ref H, n);
        Array.Resize(ref Area, n); Array.Resize(ref Crowd, n); Array.Resize(ref Id, n); Array.Resize(ref Score, n);
    }
}
