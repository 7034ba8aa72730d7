"""IR -> .tflite flatbuffer (the inverse of pytool/frontends/tflite.py), built
with the `tflite` package's generated builder functions and `flatbuffers`.

Written so TFLite Micro and LiteRT both accept it: buffer 0 is the empty
sentinel, every constant has its own 16-byte aligned buffer, op codes carry
both the 32-bit and the deprecated 8-bit builtin code, and op versions are the
ones the TFLite op resolvers register for the tensor types used.
"""

from __future__ import annotations

from pathlib import Path

import flatbuffers
import numpy as np
import tflite
from tflite.utils import BUILTIN_OPCODE2NAME

from pytool.frontends import tflite_lstm
from pytool.ir import Graph, IRError, Op, Tensor

_NAME2OPCODE = {name: code for code, name in BUILTIN_OPCODE2NAME.items()}
_TYPES = {
    "float32": tflite.TensorType.FLOAT32,
    "float16": tflite.TensorType.FLOAT16,
    "int32": tflite.TensorType.INT32,
    "uint8": tflite.TensorType.UINT8,
    "int64": tflite.TensorType.INT64,
    "bool": tflite.TensorType.BOOL,
    "int16": tflite.TensorType.INT16,
    "int8": tflite.TensorType.INT8,
}
_ACTIVATIONS = {"NONE": 0, None: 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}
_PADDING = {"SAME": tflite.Padding.SAME, "VALID": tflite.Padding.VALID}
# Op version for int8 kernels (float kernels are version 1). These are the
# versions TFLite's converter writes for the plain int8 variants of each op.
_INT8_VERSIONS = {
    "CONV_2D": 3,
    "DEPTHWISE_CONV_2D": 3,
    "FULLY_CONNECTED": 4,
    "AVERAGE_POOL_2D": 2,
    "MAX_POOL_2D": 2,
    "MEAN": 2,
    "ADD": 2,
    "MUL": 2,
    "PAD": 2,
    "RESHAPE": 1,
    "CONCATENATION": 2,
    "SOFTMAX": 2,
    "LOGISTIC": 2,
    "QUANTIZE": 2,
    "DEQUANTIZE": 2,
    "TRANSPOSE": 2,
    "RELU": 2,
    "RELU6": 2,
}
# Inputs that TFLite wants as int32 (the IR may carry int64 from ONNX).
_INT32_INPUTS = {"PAD": (1,), "TRANSPOSE": (1,), "MEAN": (1,), "RESHAPE": (1,), "STRIDED_SLICE": (1, 2, 3)}


class WriteError(IRError):
    """A graph that cannot be expressed as a .tflite file."""


def _op_version(g: Graph, op: Op) -> int:
    dtype = g.tensors[op.outputs[0]].dtype
    if op.type == "QUANTIZE":
        # float -> int8 is version 1; int8 -> int8 requantization needs 2.
        return 1 if g.tensors[op.inputs[0]].dtype == "float32" else 2
    if op.type == "DEPTHWISE_CONV_2D" and dtype == "float32":
        return 2 if tuple(op.attrs.get("dilation", (1, 1))) != (1, 1) else 1
    if dtype in ("int8", "int16", "uint8") or op.type == "DEQUANTIZE":
        return _INT8_VERSIONS.get(op.type, 1)
    return 1


def _aligned_bytes_vector(b: flatbuffers.Builder, data: bytes, alignment: int = 16) -> int:
    b.StartVector(1, len(data), alignment)
    b.head = b.head - len(data)
    b.Bytes[b.head:b.head + len(data)] = data
    b.vectorNumElems = len(data)
    return b.EndVector()


def _int_vector(b: flatbuffers.Builder, values, dtype=np.int32) -> int:
    return b.CreateNumpyVector(np.asarray(list(values), dtype=dtype))


# ---- builtin options: each returns (options type, options table offset) -------------


def _conv_options(b, g: Graph, op: Op):
    a = op.attrs
    sh, sw = a.get("stride", (1, 1))
    dh, dw = a.get("dilation", (1, 1))
    tflite.Conv2DOptionsStart(b)
    tflite.Conv2DOptionsAddPadding(b, _PADDING[a.get("padding", "VALID")])
    tflite.Conv2DOptionsAddStrideW(b, int(sw))
    tflite.Conv2DOptionsAddStrideH(b, int(sh))
    tflite.Conv2DOptionsAddFusedActivationFunction(b, _ACTIVATIONS[a.get("activation", "NONE")])
    tflite.Conv2DOptionsAddDilationWFactor(b, int(dw))
    tflite.Conv2DOptionsAddDilationHFactor(b, int(dh))
    return tflite.BuiltinOptions.Conv2DOptions, tflite.Conv2DOptionsEnd(b)


def _depthwise_options(b, g: Graph, op: Op):
    a = op.attrs
    sh, sw = a.get("stride", (1, 1))
    dh, dw = a.get("dilation", (1, 1))
    multiplier = a.get("depth_multiplier")
    if multiplier is None:
        multiplier = g.tensors[op.inputs[1]].shape[-1] // g.tensors[op.inputs[0]].shape[-1]
    tflite.DepthwiseConv2DOptionsStart(b)
    tflite.DepthwiseConv2DOptionsAddPadding(b, _PADDING[a.get("padding", "VALID")])
    tflite.DepthwiseConv2DOptionsAddStrideW(b, int(sw))
    tflite.DepthwiseConv2DOptionsAddStrideH(b, int(sh))
    tflite.DepthwiseConv2DOptionsAddDepthMultiplier(b, int(multiplier))
    tflite.DepthwiseConv2DOptionsAddFusedActivationFunction(b, _ACTIVATIONS[a.get("activation", "NONE")])
    tflite.DepthwiseConv2DOptionsAddDilationWFactor(b, int(dw))
    tflite.DepthwiseConv2DOptionsAddDilationHFactor(b, int(dh))
    return tflite.BuiltinOptions.DepthwiseConv2DOptions, tflite.DepthwiseConv2DOptionsEnd(b)


def _fc_options(b, g: Graph, op: Op):
    tflite.FullyConnectedOptionsStart(b)
    tflite.FullyConnectedOptionsAddFusedActivationFunction(b, _ACTIVATIONS[op.attrs.get("activation", "NONE")])
    tflite.FullyConnectedOptionsAddWeightsFormat(b, tflite.FullyConnectedOptionsWeightsFormat.DEFAULT)
    tflite.FullyConnectedOptionsAddKeepNumDims(b, bool(op.attrs.get("keep_num_dims", False)))
    return tflite.BuiltinOptions.FullyConnectedOptions, tflite.FullyConnectedOptionsEnd(b)


def _pool_options(b, g: Graph, op: Op):
    a = op.attrs
    sh, sw = a.get("stride", (1, 1))
    fh, fw = a["filter"]
    tflite.Pool2DOptionsStart(b)
    tflite.Pool2DOptionsAddPadding(b, _PADDING[a.get("padding", "VALID")])
    tflite.Pool2DOptionsAddStrideW(b, int(sw))
    tflite.Pool2DOptionsAddStrideH(b, int(sh))
    tflite.Pool2DOptionsAddFilterWidth(b, int(fw))
    tflite.Pool2DOptionsAddFilterHeight(b, int(fh))
    tflite.Pool2DOptionsAddFusedActivationFunction(b, _ACTIVATIONS[a.get("activation", "NONE")])
    return tflite.BuiltinOptions.Pool2DOptions, tflite.Pool2DOptionsEnd(b)


def _mean_options(b, g: Graph, op: Op):
    tflite.ReducerOptionsStart(b)
    tflite.ReducerOptionsAddKeepDims(b, bool(op.attrs.get("keep_dims", False)))
    return tflite.BuiltinOptions.ReducerOptions, tflite.ReducerOptionsEnd(b)


def _add_options(b, g: Graph, op: Op):
    tflite.AddOptionsStart(b)
    tflite.AddOptionsAddFusedActivationFunction(b, _ACTIVATIONS[op.attrs.get("activation", "NONE")])
    return tflite.BuiltinOptions.AddOptions, tflite.AddOptionsEnd(b)


def _mul_options(b, g: Graph, op: Op):
    tflite.MulOptionsStart(b)
    tflite.MulOptionsAddFusedActivationFunction(b, _ACTIVATIONS[op.attrs.get("activation", "NONE")])
    return tflite.BuiltinOptions.MulOptions, tflite.MulOptionsEnd(b)


def _reshape_options(b, g: Graph, op: Op):
    shape = _int_vector(b, g.tensors[op.outputs[0]].shape)
    tflite.ReshapeOptionsStart(b)
    tflite.ReshapeOptionsAddNewShape(b, shape)
    return tflite.BuiltinOptions.ReshapeOptions, tflite.ReshapeOptionsEnd(b)


def _concat_options(b, g: Graph, op: Op):
    tflite.ConcatenationOptionsStart(b)
    tflite.ConcatenationOptionsAddAxis(b, int(op.attrs.get("axis", 0)))
    tflite.ConcatenationOptionsAddFusedActivationFunction(b, _ACTIVATIONS[op.attrs.get("activation", "NONE")])
    return tflite.BuiltinOptions.ConcatenationOptions, tflite.ConcatenationOptionsEnd(b)


def _softmax_options(b, g: Graph, op: Op):
    tflite.SoftmaxOptionsStart(b)
    tflite.SoftmaxOptionsAddBeta(b, float(op.attrs.get("beta", 1.0)))
    return tflite.BuiltinOptions.SoftmaxOptions, tflite.SoftmaxOptionsEnd(b)


def _strided_slice_options(b, g: Graph, op: Op):
    a = op.attrs
    tflite.StridedSliceOptionsStart(b)
    tflite.StridedSliceOptionsAddBeginMask(b, int(a.get("begin_mask", 0)))
    tflite.StridedSliceOptionsAddEndMask(b, int(a.get("end_mask", 0)))
    tflite.StridedSliceOptionsAddEllipsisMask(b, int(a.get("ellipsis_mask", 0)))
    tflite.StridedSliceOptionsAddNewAxisMask(b, int(a.get("new_axis_mask", 0)))
    tflite.StridedSliceOptionsAddShrinkAxisMask(b, int(a.get("shrink_axis_mask", 0)))
    tflite.StridedSliceOptionsAddOffset(b, bool(a.get("offset", False)))
    return tflite.BuiltinOptions.StridedSliceOptions, tflite.StridedSliceOptionsEnd(b)


def _empty_options(start, end, kind):
    def make(b, g: Graph, op: Op):
        start(b)
        return kind, end(b)

    return make


_OPTIONS = {
    "CONV_2D": _conv_options,
    "DEPTHWISE_CONV_2D": _depthwise_options,
    "FULLY_CONNECTED": _fc_options,
    "AVERAGE_POOL_2D": _pool_options,
    "MAX_POOL_2D": _pool_options,
    "MEAN": _mean_options,
    "ADD": _add_options,
    "MUL": _mul_options,
    "RESHAPE": _reshape_options,
    "CONCATENATION": _concat_options,
    "SOFTMAX": _softmax_options,
    "PAD": _empty_options(tflite.PadOptionsStart, tflite.PadOptionsEnd, tflite.BuiltinOptions.PadOptions),
    "TRANSPOSE": _empty_options(
        tflite.TransposeOptionsStart, tflite.TransposeOptionsEnd, tflite.BuiltinOptions.TransposeOptions
    ),
    "UNIDIRECTIONAL_SEQUENCE_LSTM": tflite_lstm.write_options,
    "STRIDED_SLICE": _strided_slice_options,
}


# ---- tensors ------------------------------------------------------------------------


def _tensor_data(g: Graph, t: Tensor, as_int32: bool) -> tuple[np.ndarray, str]:
    data, dtype = t.data, t.dtype
    if as_int32 and dtype == "int64":
        if data.size and (data.max() > 2**31 - 1 or data.min() < -(2**31)):
            raise WriteError(f"tensor '{t.name}': int64 values do not fit the int32 TFLite expects")
        data, dtype = data.astype(np.int32), "int32"
    return np.ascontiguousarray(data.astype(np.dtype(dtype).newbyteorder("<"))), dtype


def _quantization(b, t: Tensor):
    q = t.quant
    if q is None:
        return None
    scale = b.CreateNumpyVector(np.asarray(q.scale, np.float32))
    zp = b.CreateNumpyVector(np.asarray(q.zero_point, np.int64))
    tflite.QuantizationParametersStart(b)
    tflite.QuantizationParametersAddScale(b, scale)
    tflite.QuantizationParametersAddZeroPoint(b, zp)
    tflite.QuantizationParametersAddQuantizedDimension(b, int(q.axis) if q.per_channel else 0)
    return tflite.QuantizationParametersEnd(b)


def _int32_input_names(g: Graph) -> set[str]:
    names = set()
    for op in g.ops:
        for k in _INT32_INPUTS.get(op.type, ()):
            if k < len(op.inputs):
                names.add(op.inputs[k])
    return names


def graph_to_tflite_bytes(g: Graph, description: str = "tinyodl") -> bytes:
    """Serialises an IR graph (int8 or float) into .tflite bytes."""
    for i, op in enumerate(g.ops):
        if op.type not in _NAME2OPCODE:
            raise WriteError(f"{op.label(i)}: no TFLite builtin operator of that name")
        act = op.attrs.get("activation", "NONE")
        if act not in _ACTIVATIONS and op.type != "UNIDIRECTIONAL_SEQUENCE_LSTM":  # its attr names the cell activation
            raise WriteError(f"{op.label(i)}: fused activation {act!r} has no TFLite equivalent")
        if op.type in ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D"):
            if op.attrs.get("padding", "VALID") not in _PADDING:
                raise WriteError(f"{op.label(i)}: padding {op.attrs.get('padding')!r} is not SAME or VALID")

    b = flatbuffers.Builder(1024)
    names = list(g.tensors)
    index = {n: k for k, n in enumerate(names)}
    int32_inputs = _int32_input_names(g)

    # Buffers: 0 is the empty sentinel TFLite requires; then one per constant.
    buffer_data: list[bytes | None] = [None]
    tensor_buffer: dict[str, int] = {}
    tensor_type: dict[str, str] = {}
    for n in names:
        t = g.tensors[n]
        if t.dtype not in _TYPES:
            raise WriteError(f"tensor '{n}': dtype {t.dtype} has no TFLite type")
        tensor_type[n] = t.dtype
        if t.is_const:
            data, dtype = _tensor_data(g, t, n in int32_inputs)
            tensor_type[n] = dtype
            tensor_buffer[n] = len(buffer_data)
            buffer_data.append(data.tobytes())
        else:
            tensor_buffer[n] = 0

    buffer_offsets = []
    for data in buffer_data:
        vec = _aligned_bytes_vector(b, data) if data else None
        tflite.BufferStart(b)
        if vec is not None:
            tflite.BufferAddData(b, vec)
        buffer_offsets.append(tflite.BufferEnd(b))

    variables = g.meta.get("variables", {})  # op state (LSTM, SVDF): no buffer, flagged variable
    tensor_offsets = []
    for n in names:
        t = g.tensors[n]
        name = b.CreateString(n)
        shape = _int_vector(b, t.shape)
        quant = _quantization(b, t)
        tflite.TensorStart(b)
        tflite.TensorAddShape(b, shape)
        tflite.TensorAddType(b, _TYPES[tensor_type[n]])
        tflite.TensorAddBuffer(b, tensor_buffer[n])
        tflite.TensorAddName(b, name)
        if quant is not None:
            tflite.TensorAddQuantization(b, quant)
        if n in variables:
            tflite.TensorAddIsVariable(b, True)
        tensor_offsets.append(tflite.TensorEnd(b))

    # Operator codes: one per (op type, version), in first-use order.
    codes: list[tuple[str, int]] = []
    op_code_index = []
    for op in g.ops:
        key = (op.type, _op_version(g, op))
        if key not in codes:
            codes.append(key)
        op_code_index.append(codes.index(key))
    code_offsets = []
    for op_type, version in codes:
        code = _NAME2OPCODE[op_type]
        tflite.OperatorCodeStart(b)
        tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(code, tflite.BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES))
        tflite.OperatorCodeAddBuiltinCode(b, code)
        tflite.OperatorCodeAddVersion(b, version)
        code_offsets.append(tflite.OperatorCodeEnd(b))

    op_offsets = []
    for op, code_idx in zip(g.ops, op_code_index):
        ins = [index[n] for n in op.inputs]
        if op.type == "UNIDIRECTIONAL_SEQUENCE_LSTM":
            ins = tflite_lstm.unpack_inputs(ins)
        ins = _int_vector(b, ins)
        outs = _int_vector(b, [index[n] for n in op.outputs])
        options = _OPTIONS[op.type](b, g, op) if op.type in _OPTIONS else None
        tflite.OperatorStart(b)
        tflite.OperatorAddOpcodeIndex(b, code_idx)
        tflite.OperatorAddInputs(b, ins)
        tflite.OperatorAddOutputs(b, outs)
        if options is not None:
            tflite.OperatorAddBuiltinOptionsType(b, options[0])
            tflite.OperatorAddBuiltinOptions(b, options[1])
        op_offsets.append(tflite.OperatorEnd(b))

    def table_vector(start, offsets) -> int:
        start(b, len(offsets))
        for off in reversed(offsets):
            b.PrependUOffsetTRelative(off)
        return b.EndVector()

    tensors_vec = table_vector(tflite.SubGraphStartTensorsVector, tensor_offsets)
    ops_vec = table_vector(tflite.SubGraphStartOperatorsVector, op_offsets)
    in_vec = _int_vector(b, [index[n] for n in g.inputs])
    out_vec = _int_vector(b, [index[n] for n in g.outputs])
    sub_name = b.CreateString(g.name or "main")
    tflite.SubGraphStart(b)
    tflite.SubGraphAddTensors(b, tensors_vec)
    tflite.SubGraphAddInputs(b, in_vec)
    tflite.SubGraphAddOutputs(b, out_vec)
    tflite.SubGraphAddOperators(b, ops_vec)
    tflite.SubGraphAddName(b, sub_name)
    subgraph = tflite.SubGraphEnd(b)

    subgraphs_vec = table_vector(tflite.ModelStartSubgraphsVector, [subgraph])
    codes_vec = table_vector(tflite.ModelStartOperatorCodesVector, code_offsets)
    buffers_vec = table_vector(tflite.ModelStartBuffersVector, buffer_offsets)
    desc = b.CreateString(description)
    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, 3)
    tflite.ModelAddOperatorCodes(b, codes_vec)
    tflite.ModelAddSubgraphs(b, subgraphs_vec)
    tflite.ModelAddDescription(b, desc)
    tflite.ModelAddBuffers(b, buffers_vec)
    model = tflite.ModelEnd(b)
    b.Finish(model, file_identifier=b"TFL3")
    return bytes(b.Output())


def write_tflite(g: Graph, path: str | Path, description: str = "tinyodl") -> Path:
    """Writes the graph as a .tflite file and returns its path."""
    path = Path(path)
    data = graph_to_tflite_bytes(g, description)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
