""".tflite (float or int8) -> IR, through the `tflite` package's generated
schema readers. Only the first subgraph is read (control-flow ops, which would
reference others, are unsupported anyway)."""

from __future__ import annotations

import struct

import flatbuffers
import numpy as np
import tflite
from tflite.utils import BUILTIN_OPCODE2NAME

from pytool import ops as opreg
from pytool.frontends import tflite_decode, tflite_lstm, tflite_signal
from pytool.frontends.errors import ModelError
from pytool.frontends.fold import fold_constants
from pytool.ir import Graph, IRError, Op, QuantParams, Tensor
from pytool.ops import control_flow

_DTYPES = {
    tflite.TensorType.FLOAT32: "float32",
    tflite.TensorType.FLOAT16: "float16",
    tflite.TensorType.INT32: "int32",
    tflite.TensorType.UINT8: "uint8",
    tflite.TensorType.INT64: "int64",
    tflite.TensorType.BOOL: "bool",
    tflite.TensorType.INT16: "int16",
    tflite.TensorType.INT8: "int8",
    tflite.TensorType.UINT16: "uint16",
    tflite.TensorType.UINT32: "uint32",
    tflite.TensorType.UINT64: "uint64",
    tflite.TensorType.FLOAT64: "float64",
}
_TYPE_NAMES = {v: k for k, v in vars(tflite.TensorType).items() if not k.startswith("_")}
_ACTIVATIONS = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6"}
_SVDF_FLOAT_ACTS = {4: "TANH", 5: "SIGN_BIT"}  # the schema has no SIGMOID code
_ACT_NAMES = {v: k for k, v in vars(tflite.ActivationFunctionType).items() if not k.startswith("_")}
_PADDING = {tflite.Padding.SAME: "SAME", tflite.Padding.VALID: "VALID"}
# Parser failures a corrupt flatbuffer can raise from deep inside the generated code.
_PARSE_ERRORS = (IndexError, struct.error, ValueError, TypeError, AttributeError, OverflowError, MemoryError)


class _OpContext:
    """Raises ModelErrors that name the file, op index, op name and type."""

    def __init__(self, path: str, index: int, op_type: str, name: str, subgraph: int = 0) -> None:
        self.path, self.index, self.op_type, self.name, self.subgraph = path, index, op_type, name, subgraph

    def error(self, message: str) -> ModelError:
        kind = f"subgraph #{self.subgraph} op" if self.subgraph else "op"
        return ModelError(self.path, message, index=self.index, op_type=self.op_type, op_name=self.name, kind=kind)


def load_tflite(path: str, data: bytes, strict: bool = True) -> Graph:
    """strict=False keeps unsupported ops in the graph, marked with
    attrs['_unsupported'] = reason (for `tinyodl inspect`); such a graph is
    not validated and cannot be compiled."""
    if len(data) < 8:
        raise ModelError(path, f"not a TFLite model: only {len(data)} bytes")
    if data[4:8] != b"TFL3":
        raise ModelError(path, "not a TFLite model: the flatbuffer identifier is not 'TFL3'")
    stage = ["the model header"]
    try:
        return _read(path, data, stage, strict)
    except ModelError:
        raise
    except _PARSE_ERRORS as e:
        raise ModelError(
            path, f"corrupt or truncated TFLite flatbuffer while reading {stage[0]}: {type(e).__name__}: {e}"
        ) from None


def _read(path: str, data: bytes, stage: list[str], strict: bool = True) -> Graph:
    model = tflite.Model.GetRootAs(data, 0)
    if model.SubgraphsLength() < 1:
        raise ModelError(path, "the model has no subgraph")
    g = Graph(name=_decode(model.Subgraphs(0).Name()) or "model", source=path)
    g.meta["format"] = "tflite"
    g.meta["layout"] = "NHWC"
    from pytool.frontends.tflite_reader import SubgraphReader  # it uses this module's helpers

    reader = SubgraphReader(path, data, model, stage, strict)
    where = reader.read_subgraph(0, g)
    reader.resources.finish(g)
    if control_flow.inline_const_args(g):
        for sub in g.subgraphs.values():
            fold_constants(sub)

    reader.finish_graph(g, where)
    stage[0] = "the graph structure"
    for n in g.inputs + g.outputs:
        if strict and n in g.meta.get("opaque", {}):
            raise ModelError(path, f"graph input/output: {g.meta['opaque'][n]}")
    if strict and all(opreg.get(t) is not None for t in {op.type for op in g.ops}):
        try:
            g.validate()
        except IRError as e:
            raise ModelError(path, f"the model is inconsistent: {e}") from None
    return g


def _decode(b) -> str:
    return b.decode("utf-8", "replace") if isinstance(b, bytes | bytearray) else (b or "")


def _ints(arr) -> list[int]:
    # The generated *AsNumpy() returns 0 (not an empty array) for an absent vector.
    return [] if isinstance(arr, int) else [int(v) for v in arr]


def _read_tensor(path: str, data: bytes, model, fb_t, index: int, g: Graph) -> Tensor:
    name = _decode(fb_t.Name()) or f"tensor_{index}"
    if name in g.tensors:
        name = g.unique_name(name)
    ttype = fb_t.Type()
    shape = tuple(_ints(fb_t.ShapeAsNumpy()))
    if ttype not in _DTYPES or fb_t.Sparsity() is not None:
        # Kept as a placeholder without data: only an op that reads it is refused.
        what = "is sparse" if ttype in _DTYPES else f"has type {_TYPE_NAMES.get(ttype, ttype)}"
        g.meta.setdefault("opaque", {})[name] = (
            f"tensor #{index} '{name}' {what}; supported types: {', '.join(sorted(set(_DTYPES.values())))}"
        )
        return Tensor(name, tuple(max(d, 0) for d in shape), "uint8")
    dtype = _DTYPES[ttype]
    if fb_t.IsVariable():
        # State kept across invokes (SVDF, LSTM): arena memory initialised once
        # to the zero point (TFLite Micro resets variables to it), never const.
        q = fb_t.Quantization()
        zp = int(q.ZeroPointAsNumpy()[0]) if q is not None and q.ZeroPointLength() > 0 else 0
        g.meta.setdefault("variables", {})[name] = np.full(tuple(max(d, 0) for d in shape), zp, dtype)
    # shape_signature may mark dims dynamic (-1); like TFLite Micro, the
    # concrete `shape` (batch 1 and the sizes it implies) is what runs.
    if any(d < 0 for d in shape):
        raise ModelError(path, f"tensor #{index} '{name}' has shape {list(shape)} with a negative dimension")

    const = None
    buf_idx = fb_t.Buffer()
    if buf_idx > 0 and not fb_t.IsVariable():
        if buf_idx >= model.BuffersLength():
            raise ModelError(path, f"tensor #{index} '{name}' refers to buffer {buf_idx}, which does not exist")
        buf = model.Buffers(buf_idx)
        raw = None
        if buf.Offset() > 1:  # large models keep data after the flatbuffer
            start, size = buf.Offset(), buf.Size()
            if start + size > len(data):
                raise ModelError(path, f"tensor #{index} '{name}': buffer {buf_idx} runs past the end of the file")
            raw = data[start:start + size]
        elif buf.DataLength() > 0:
            raw = buf.DataAsNumpy().tobytes()
        if raw is not None:
            want = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
            if len(raw) != want:
                raise ModelError(
                    path, f"tensor #{index} '{name}': buffer {buf_idx} has {len(raw)} bytes, "
                    f"shape {list(shape)} of {dtype} needs {want}"
                )
            const = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype).reshape(shape)

    quant = None
    q = fb_t.Quantization()
    if q is not None and q.ScaleLength() > 0:
        scale = q.ScaleAsNumpy().astype(np.float32)
        zp = q.ZeroPointAsNumpy() if q.ZeroPointLength() > 0 else np.zeros(scale.size, np.int64)
        axis = int(q.QuantizedDimension())
        if len(shape) == 1 and scale.size == shape[0]:
            # Converters copy the filter's axis (3 for depthwise) onto the 1-D
            # bias; TFLite Micro ignores it for a vector, and so do we.
            axis = 0
        if scale.size > 1:
            if not 0 <= axis < len(shape) or shape[axis] != scale.size:
                raise ModelError(
                    path, f"tensor #{index} '{name}': {scale.size} per-channel scales along axis {axis} "
                    f"do not match shape {list(shape)}"
                )
        try:
            quant = QuantParams(scale, np.asarray(zp, np.int64), axis)
        except IRError as e:
            raise ModelError(path, f"tensor #{index} '{name}': {e}") from None
    return Tensor(name, shape, dtype, const, quant)


def _raw_builtin_code(oc) -> int:
    """The builtin_code field as stored: the `tflite` package's BuiltinCode()
    returns deprecated_builtin_code for codes below 127, which turns TFLite
    Micro's compressor output (builtin_code CUSTOM, deprecated 0) into ADD."""
    o = oc._tab.Offset(10)
    return oc._tab.Get(flatbuffers.number_types.Int32Flags, o + oc._tab.Pos) if o else 0


def _op_type(path: str, model, fb_op, index: int) -> str:
    k = fb_op.OpcodeIndex()
    if k >= model.OperatorCodesLength():
        raise ModelError(path, f"op #{index}: opcode index {k} is out of range", index=index)
    oc = model.OperatorCodes(k)
    code = max(_raw_builtin_code(oc), oc.DeprecatedBuiltinCode())
    if code == tflite.BuiltinOperator.CUSTOM:
        return f"CUSTOM:{_decode(oc.CustomCode())}"
    return BUILTIN_OPCODE2NAME.get(code, f"UNKNOWN_BUILTIN_{code}")


# ---- per-op attributes -------------------------------------------------------------


def builtin_options(fb_op, cls):
    tab = fb_op.BuiltinOptions()
    if tab is None:
        return None
    o = cls()
    o.Init(tab.Bytes, tab.Pos)
    return o


def _activation(code: int, ctx: _OpContext) -> str:
    if code not in _ACTIVATIONS:
        raise ctx.error(
            f"fused activation {_ACT_NAMES.get(code, code)} is not supported; "
            f"supported: {', '.join(_ACTIVATIONS.values())}"
        )
    return _ACTIVATIONS[code]


def _padding(code: int, ctx: _OpContext) -> str:
    if code not in _PADDING:
        raise ctx.error(f"padding {code} is not supported; supported: SAME, VALID")
    return _PADDING[code]


def _require_const(g: Graph, op: Op, k: int, what: str, ctx: _OpContext) -> np.ndarray:
    if len(op.inputs) <= k or not g.tensors[op.inputs[k]].is_const:
        raise ctx.error(f"the {what} (input {k}) must be a constant tensor")
    return g.tensors[op.inputs[k]].data


def _check_weights(g: Graph, op: Op, ctx: _OpContext) -> None:
    if len(op.inputs) < 2:
        raise ctx.error("needs at least an input and a weights tensor")
    x, w = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]]
    if w.dtype not in ("int8", "float32"):
        raise ctx.error(f"weights '{w.name}' are {w.dtype}; supported weight types: int8, float32")
    if x.dtype == "float32" and w.dtype == "int8":
        raise ctx.error(
            f"hybrid (dynamic-range) quantization: float32 input '{x.name}' with int8 weights "
            f"'{w.name}' is not supported; use a full-int8 or a float model"
        )


def _stride_dilation(o, ctx: _OpContext) -> dict:
    stride = (o.StrideH(), o.StrideW())
    dilation = (o.DilationHFactor(), o.DilationWFactor())
    if min(stride) < 1 or min(dilation) < 1:
        raise ctx.error(f"stride {stride} and dilation {dilation} must be >= 1")
    return {
        "stride": stride,
        "dilation": dilation,
        "padding": _padding(o.Padding(), ctx),
        "activation": _activation(o.FusedActivationFunction(), ctx),
    }


def _conv(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
    o = builtin_options(fb_op, tflite.Conv2DOptions)
    if o is None:
        raise ctx.error("Conv2DOptions are missing")
    _check_weights(g, op, ctx)
    op.attrs = _stride_dilation(o, ctx)


def _depthwise(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
    o = builtin_options(fb_op, tflite.DepthwiseConv2DOptions)
    if o is None:
        raise ctx.error("DepthwiseConv2DOptions are missing")
    _check_weights(g, op, ctx)
    op.attrs = _stride_dilation(o, ctx)
    # Some converters write depth_multiplier=1 regardless; the shapes are the truth.
    in_c = g.tensors[op.inputs[0]].shape[-1]
    out_c = g.tensors[op.inputs[1]].shape[-1]
    if in_c <= 0 or out_c % in_c:
        raise ctx.error(f"filter channels {out_c} are not a multiple of input channels {in_c}")
    op.attrs["depth_multiplier"] = out_c // in_c


def _fully_connected(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
    o = builtin_options(fb_op, tflite.FullyConnectedOptions)
    _check_weights(g, op, ctx)
    if o is None:
        op.attrs = {"activation": "NONE", "keep_num_dims": False}
        return
    if o.WeightsFormat() != tflite.FullyConnectedOptionsWeightsFormat.DEFAULT:
        raise ctx.error(f"weights_format {o.WeightsFormat()} (shuffled) is not supported; supported: DEFAULT")
    if o.AsymmetricQuantizeInputs():
        raise ctx.error("asymmetric_quantize_inputs=true (hybrid quantization) is not supported")
    op.attrs = {"activation": _activation(o.FusedActivationFunction(), ctx), "keep_num_dims": bool(o.KeepNumDims())}


def _pool(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
    o = builtin_options(fb_op, tflite.Pool2DOptions)
    if o is None:
        raise ctx.error("Pool2DOptions are missing")
    stride, filt = (o.StrideH(), o.StrideW()), (o.FilterHeight(), o.FilterWidth())
    if min(stride) < 1 or min(filt) < 1:
        raise ctx.error(f"stride {stride} and filter {filt} must be >= 1")
    op.attrs = {
        "stride": stride,
        "filter": filt,
        "padding": _padding(o.Padding(), ctx),
        "activation": _activation(o.FusedActivationFunction(), ctx),
    }


def _mean(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
    _require_const(g, op, 1, "axes", ctx)
    o = builtin_options(fb_op, tflite.ReducerOptions)
    op.attrs = {"keep_dims": bool(o.KeepDims()) if o is not None else False}


def _add_mul(cls):
    def read(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
        o = builtin_options(fb_op, cls)
        op.attrs = {"activation": _activation(o.FusedActivationFunction(), ctx) if o is not None else "NONE"}

    return read


def _pad(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
    pads = _require_const(g, op, 1, "paddings", ctx)
    rank = len(g.tensors[op.inputs[0]].shape)
    if pads.shape != (rank, 2):
        raise ctx.error(f"paddings have shape {list(pads.shape)}, expected [{rank}, 2]")


def _reshape(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
    # The output tensor's shape is the target; a computed shape input adds nothing.
    if len(op.inputs) > 1 and not g.tensors[op.inputs[1]].is_const:
        op.inputs = op.inputs[:1]


def _concat(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
    o = builtin_options(fb_op, tflite.ConcatenationOptions)
    rank = len(g.tensors[op.outputs[0]].shape)
    axis = o.Axis() if o is not None else 0
    if not -rank <= axis < rank:
        raise ctx.error(f"axis {axis} is out of range for rank {rank}")
    op.attrs = {
        "axis": axis % rank,
        "activation": _activation(o.FusedActivationFunction(), ctx) if o is not None else "NONE",
    }


def _softmax(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
    o = builtin_options(fb_op, tflite.SoftmaxOptions)
    op.attrs = {"beta": float(o.Beta()) if o is not None else 1.0}


def _transpose(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
    perm = _require_const(g, op, 1, "permutation", ctx)
    rank = len(g.tensors[op.inputs[0]].shape)
    if sorted(int(p) % max(rank, 1) for p in perm.ravel()) != list(range(rank)):
        raise ctx.error(f"permutation {perm.tolist()} is not a permutation of {rank} axes")


def _leaky_relu(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
    o = builtin_options(fb_op, tflite.LeakyReluOptions)
    op.attrs = {"alpha": float(o.Alpha()) if o is not None else 0.0}


def _strided_slice(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
    for k, what in ((1, "begin"), (2, "end"), (3, "strides")):
        _require_const(g, op, k, what, ctx)
    o = builtin_options(fb_op, tflite.StridedSliceOptions)
    op.attrs = {
        "begin_mask": o.BeginMask() if o else 0,
        "end_mask": o.EndMask() if o else 0,
        "ellipsis_mask": o.EllipsisMask() if o else 0,
        "new_axis_mask": o.NewAxisMask() if o else 0,
        "shrink_axis_mask": o.ShrinkAxisMask() if o else 0,
        "offset": bool(o.Offset()) if o and hasattr(o, "Offset") else False,
    }


def _axis_attr(cls):
    def read(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
        o = builtin_options(fb_op, cls)
        op.attrs = {"axis": int(o.Axis()) if o is not None else 0}

    return read


def _shape_only(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
    # SQUEEZE / EXPAND_DIMS: the output tensor's shape is the result.
    op.inputs = op.inputs[:1]
    op.attrs = {}


def _transpose_conv(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
    o = builtin_options(fb_op, tflite.TransposeConvOptions)
    if o is None:
        raise ctx.error("TransposeConvOptions are missing")
    _require_const(g, op, 0, "output_shape", ctx)
    if len(op.inputs) < 3:
        raise ctx.error("needs output_shape, weights and input")
    stride = (o.StrideH(), o.StrideW())
    if min(stride) < 1:
        raise ctx.error(f"stride {stride} must be >= 1")
    act = o.FusedActivationFunction() if hasattr(o, "FusedActivationFunction") else 0
    op.attrs = {"stride": stride, "padding": _padding(o.Padding(), ctx), "activation": _activation(act, ctx)}


def _resize(cls):
    def read(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
        _require_const(g, op, 1, "size", ctx)
        o = builtin_options(fb_op, cls)
        op.attrs = {
            "align_corners": bool(o.AlignCorners()) if o is not None else False,
            "half_pixel_centers": bool(o.HalfPixelCenters()) if o is not None else False,
        }

    return read


def _gather(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
    o = builtin_options(fb_op, tflite.GatherOptions)
    op.attrs = {"axis": int(o.Axis()) if o else 0, "batch_dims": int(o.BatchDims()) if o else 0}


def _svdf(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
    o = builtin_options(fb_op, tflite.SVDFOptions)
    if o is None:
        raise ctx.error("SVDFOptions are missing")
    if o.AsymmetricQuantizeInputs():
        raise ctx.error("asymmetric_quantize_inputs=true (hybrid quantization) is not supported")
    if op.inputs[-1] not in g.meta.get("variables", {}):
        raise ctx.error(f"the activation state '{op.inputs[-1]}' must be a variable tensor")
    code = o.FusedActivationFunction()
    # TFLite Micro's float SVDF applies any fused activation (ActivationValFloat); the int8 one refuses them
    act = _SVDF_FLOAT_ACTS[code] if code in _SVDF_FLOAT_ACTS else _activation(code, ctx)
    op.attrs = {"rank": int(o.Rank()), "activation": act}


def _block_size(cls):
    def read(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
        o = builtin_options(fb_op, cls)
        op.attrs = {"block_size": int(o.BlockSize()) if o is not None else 0}

    return read


def _batch_matmul(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
    o = builtin_options(fb_op, tflite.BatchMatMulOptions)
    if o is not None and o.AsymmetricQuantizeInputs():
        raise ctx.error("asymmetric_quantize_inputs=true (hybrid quantization) is not supported")
    op.attrs = {"adj_x": bool(o.AdjX()) if o else False, "adj_y": bool(o.AdjY()) if o else False}


def _mirror_pad(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
    _pad(g, op, fb_op, ctx)
    o = builtin_options(fb_op, tflite.MirrorPadOptions)
    op.attrs = {"mode": "SYMMETRIC" if o is not None and o.Mode() == tflite.MirrorPadMode.SYMMETRIC else "REFLECT"}


def _cumsum(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
    _require_const(g, op, 1, "axis", ctx)
    o = builtin_options(fb_op, tflite.CumsumOptions)
    op.attrs = {"exclusive": bool(o.Exclusive()) if o else False, "reverse": bool(o.Reverse()) if o else False}


def _no_attrs(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
    op.attrs = {}


def _circular_buffer(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
    from pytool.ops import circular_buffer

    if ctx.subgraph:  # its early stop ends the whole invoke; a loop or branch would go on
        raise ctx.error("CIRCULAR_BUFFER inside an IF / WHILE subgraph is not supported")
    custom = fb_op.CustomOptionsAsNumpy().tobytes() if fb_op.CustomOptionsLength() else b""
    circular_buffer.read_attrs(g, op, custom, ctx.error)


def _detection_postprocess(g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
    from pytool.ops import detection_postprocess

    custom = fb_op.CustomOptionsAsNumpy().tobytes() if fb_op.CustomOptionsLength() else b""
    try:
        detection_postprocess.read_attrs(g, op, custom)
    except IRError as e:
        raise ctx.error(str(e)) from None


_ATTRS = {
    "CUSTOM:TFLite_Detection_PostProcess": _detection_postprocess,
    "CUSTOM:CIRCULAR_BUFFER": _circular_buffer,
    tflite_decode.OP: tflite_decode.read_attrs,
    "CONV_2D": _conv,
    "DEPTHWISE_CONV_2D": _depthwise,
    "FULLY_CONNECTED": _fully_connected,
    "AVERAGE_POOL_2D": _pool,
    "MAX_POOL_2D": _pool,
    "L2_POOL_2D": _pool,
    "MEAN": _mean,
    "ADD": _add_mul(tflite.AddOptions),
    "MUL": _add_mul(tflite.MulOptions),
    "PAD": _pad,
    "PADV2": _pad,
    "RESHAPE": _reshape,
    "CONCATENATION": _concat,
    "SOFTMAX": _softmax,
    "TRANSPOSE": _transpose,
    "LEAKY_RELU": _leaky_relu,
    "SUB": _add_mul(tflite.SubOptions),
    "DIV": _add_mul(tflite.DivOptions),
    "STRIDED_SLICE": _strided_slice,
    "PACK": _axis_attr(tflite.PackOptions),
    "UNPACK": _axis_attr(tflite.UnpackOptions),
    "SUM": _mean,
    "REDUCE_MAX": _mean,
    "TRANSPOSE_CONV": _transpose_conv,
    "GATHER": _gather,
    "SVDF": _svdf,
    "UNIDIRECTIONAL_SEQUENCE_LSTM": tflite_lstm.read_attrs,
    "RESIZE_NEAREST_NEIGHBOR": _resize(tflite.ResizeNearestNeighborOptions),
    "RESIZE_BILINEAR": _resize(tflite.ResizeBilinearOptions),
    "SQUEEZE": _shape_only,
    "EXPAND_DIMS": _shape_only,
    "DEPTH_TO_SPACE": _block_size(tflite.DepthToSpaceOptions),
    "SPACE_TO_DEPTH": _block_size(tflite.SpaceToDepthOptions),
    "BATCH_MATMUL": _batch_matmul,
    "REDUCE_PROD": _mean,
    "REDUCE_MIN": _mean,
    "REDUCE_ALL": _mean,
    "REDUCE_ANY": _mean,
    "MIRROR_PAD": _mirror_pad,
    "CUMSUM": _cumsum,
    "L2_NORMALIZATION": _add_mul(tflite.L2NormOptions),
    **dict.fromkeys(tflite_signal.OPTIONS, tflite_signal.read_attrs),
}
