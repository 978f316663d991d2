namespace YoloDistill.Detector.Model;

/// <summary>
/// The modules a row of <see cref="Architecture.Layers"/> can name (Ultralytics' yaml module column). An enum rather than
/// the yaml's strings so that the two walkers of the table, YoloModel and the ONNX exporter, are checked to know them all.
/// </summary>
public enum LayerKind { Conv, C3, SPPF, Upsample, Concat, Detect }
