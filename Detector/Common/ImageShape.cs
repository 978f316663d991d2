namespace YoloDistill.Detector.Common;

/// <summary>Where a network input came from: original size and the letterbox that mapped it (for scaling boxes back).</summary>
/// <param name="OriginalHeight">h0 of the image file.</param>
/// <param name="OriginalWidth">w0 of the image file.</param>
/// <param name="RatioH">Resize gain in y (new h / h0).</param>
/// <param name="RatioW">Resize gain in x (new w / w0).</param>
/// <param name="PadW">Left padding in pixels (dw, Ultralytics' pad[0]).</param>
/// <param name="PadH">Top padding in pixels (dh, Ultralytics' pad[1]).</param>
public readonly record struct ImageShape(int OriginalHeight, int OriginalWidth, double RatioH, double RatioW, double PadW, double PadH);
