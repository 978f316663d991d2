namespace YoloDistill.Detector.Inference;

/// <summary>One detected object in original-image pixels (x1,y1 top-left, x2,y2 bottom-right).</summary>
public readonly record struct Detection(int ClassId, string ClassName, float Conf, float X1, float Y1, float X2, float Y2);
