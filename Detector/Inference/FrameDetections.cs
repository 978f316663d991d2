using OpenCvSharp;

namespace YoloDistill.Detector.Inference;

/// <summary>
/// The detections of one video or camera frame from <see cref="YoloDetector.DetectVideo"/> or
/// <see cref="YoloDetector.DetectCamera"/>.
/// </summary>
/// <param name="Index">Frame number from 0.</param>
/// <param name="Image">
/// The decoded BGR frame. It belongs to the iterator and is disposed when the iteration moves to the next frame or
/// ends; <c>Clone()</c> it to keep it longer. Drawing on it is fine.
/// </param>
/// <param name="Detections">The frame's objects, best first, in the frame's pixels.</param>
public sealed record FrameDetections(int Index, Mat Image, IReadOnlyList<Detection> Detections);
