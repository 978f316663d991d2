namespace YoloDistill.Detector.Inference;

/// <summary>
/// One detected object. The box is in the original image's pixels: (<see cref="X1"/>, <see cref="Y1"/>) is the
/// top-left corner and (<see cref="X2"/>, <see cref="Y2"/>) the bottom-right one, clipped to the image.
/// </summary>
/// <param name="ClassId">Index of the class in the model's class list.</param>
/// <param name="ClassName">The class's name as stored in the model (or <c>class{id}</c> when the model has none).</param>
/// <param name="Confidence">Objectness times class probability, in [0, 1].</param>
/// <param name="X1">Left edge, pixels.</param>
/// <param name="Y1">Top edge, pixels.</param>
/// <param name="X2">Right edge, pixels.</param>
/// <param name="Y2">Bottom edge, pixels.</param>
public readonly record struct Detection(int ClassId, string ClassName, float Confidence, float X1, float Y1, float X2, float Y2)
{
    /// <summary>Box width in pixels.</summary>
    public float Width => X2 - X1;

    /// <summary>Box height in pixels.</summary>
    public float Height => Y2 - Y1;
}
