namespace YoloDistill.Detector.Export;

/// <summary>
/// The tensor element types the exporter writes: onnx.proto's TensorProto.DataType narrowed to these, so that callers
/// choose among types the graph builder handles while the numbers still come from onnx.proto.
/// </summary>
public enum OnnxDataType
{
    Float = (int)TensorProto.Types.DataType.Float,
    Uint8 = (int)TensorProto.Types.DataType.Uint8,
    Int32 = (int)TensorProto.Types.DataType.Int32,
    Int64 = (int)TensorProto.Types.DataType.Int64,
    Float16 = (int)TensorProto.Types.DataType.Float16,
    Double = (int)TensorProto.Types.DataType.Double,
}
