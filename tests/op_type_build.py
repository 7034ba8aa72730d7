"""Single-op models for every (op, tensor type) the type audit checks
(bench/type_audit.py, issue #16): sensible shapes and options per op; a
float32 case is the op as a float island inside an int8 model (DEQUANTIZE /
QUANTIZE around it), how tinyodl runs float32 ops."""

from __future__ import annotations

import numpy as np
from tflite_build import T, single_op

TYPES = ("int8", "int16", "int32", "int64", "uint8", "bool", "float32")
# (scale, zero point) of the input and of a rescaled output, per quantized type
QIN = {"int8": (0.05, -3), "uint8": (0.05, 128), "int16": (0.002, 0)}
QOUT = {"int8": (0.07, 5), "uint8": (0.07, 120), "int16": (0.003, 0)}
# outputs whose quantization TFLite Micro fixes
FIXED_OUT = {
    "LOGISTIC": {"int8": (1 / 256, -128), "int16": (1 / 32768, 0), "uint8": (1 / 256, 0)},
    "SOFTMAX": {"int8": (1 / 256, -128), "int16": (1 / 32768, 0), "uint8": (1 / 256, 0)},
    "TANH": {"int8": (1 / 128, 0), "int16": (1 / 32768, 0), "uint8": (1 / 128, 128)},
    "LOG_SOFTMAX": {"int8": (16 / 256, 127), "uint8": (16 / 256, 255)},
    "L2_NORMALIZATION": {"int8": (1 / 128, 0), "uint8": (1 / 128, 128)},
}
SHARED_Q = {"MAXIMUM", "MINIMUM", "RESHAPE", "TRANSPOSE", "CONCATENATION", "PACK", "UNPACK", "SPLIT", "SPLIT_V",
            "SLICE", "STRIDED_SLICE", "SQUEEZE", "EXPAND_DIMS", "PAD", "PADV2", "MIRROR_PAD", "GATHER",
            "GATHER_ND", "REVERSE_V2", "BROADCAST_TO", "SELECT_V2", "DEPTH_TO_SPACE", "SPACE_TO_DEPTH",
            "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "REDUCE_MAX", "REDUCE_MIN", "MAX_POOL_2D", "RELU",
            "RELU6", "ZEROS_LIKE", "RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR", "AVERAGE_POOL_2D", "NEG",
            "FLOOR", "CEIL", "ROUND", "DYNAMIC_UPDATE_SLICE", "EMBEDDING_LOOKUP", "CUMSUM", "SQUARE"}


def _s():
    from ai_edge_litert import schema_py_generated as s
    return s


def qt(shape, dt, op, out=False, data=None):
    if dt in QIN:
        q = FIXED_OUT.get(op, {}).get(dt) if out else None
        q = q or (QIN[dt] if (not out or op in SHARED_Q) else QOUT[dt])
        return T(shape, dt, q[0], q[1], data)
    return T(shape, dt, data=data)


def const(shape, dt, values):
    return T(shape, dt, data=np.asarray(values, dt).reshape(shape))


def opts(name: str, **kw):
    s = _s()
    o = getattr(s, name + "T")()
    for k, v in kw.items():
        setattr(o, k, v)
    return o, getattr(s.BuiltinOptions, name)


UNARY = ["ABS", "RELU", "RELU6", "LOGISTIC", "TANH", "HARD_SWISH", "ELU", "RSQRT", "NEG", "SQRT", "SQUARE",
         "EXP", "LOG", "SIN", "COS", "FLOOR", "CEIL", "ROUND", "LOGICAL_NOT", "ZEROS_LIKE"]
BINARY = ["ADD", "SUB", "MUL", "DIV", "MAXIMUM", "MINIMUM", "SQUARED_DIFFERENCE", "FLOOR_DIV", "FLOOR_MOD",
          "PRELU", "LOGICAL_AND", "LOGICAL_OR"]
COMPARE = ["EQUAL", "NOT_EQUAL", "GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL"]
REDUCE = ["MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD", "REDUCE_ALL", "REDUCE_ANY"]


def build(op: str, dt: str):  # noqa: C901, PLR0911, PLR0912
    """(tensors, inputs, outputs, model_inputs, options, options_type) or None."""
    X = (2, 3, 4)
    if op in UNARY:
        return [qt(X, dt, op), qt(X, dt, op, True)], [0], [1], None, None, 0
    if op in ("SOFTMAX", "LOG_SOFTMAX", "L2_NORMALIZATION"):
        o = opts("SoftmaxOptions", beta=1.0) if op == "SOFTMAX" else (None, 0)
        return [qt(X, dt, op), qt(X, dt, op, True)], [0], [1], None, *o
    if op == "LEAKY_RELU":
        return [qt(X, dt, op), qt(X, dt, op, True)], [0], [1], None, *opts("LeakyReluOptions", alpha=0.2)
    if op in BINARY:
        return [qt((2, 1, 4), dt, op), qt((3, 4), dt, op), qt((2, 3, 4), dt, op, True)], [0, 1], [2], None, None, 0
    if op in COMPARE:
        return [qt((2, 1, 4), dt, op), qt((3, 4), dt, op), T((2, 3, 4), "bool")], [0, 1], [2], None, None, 0
    if op == "QUANTIZE":
        return None  # pairs of types: see pairs()
    if op in REDUCE:
        o = opts("ReducerOptions", keepDims=False)
        return [qt(X, dt, op), const((1,), "int32", [1]), qt((2, 4), dt, op, True)], [0, 1], [2], [0], *o
    if op in ("ARG_MAX", "ARG_MIN"):
        o = opts("ArgMaxOptions" if op == "ARG_MAX" else "ArgMinOptions", outputType=2)
        return [qt(X, dt, op), const((1,), "int32", [2]), T((2, 3), "int32")], [0, 1], [2], [0], *o
    if op == "RESHAPE":
        return [qt(X, dt, op), const((2,), "int32", [6, 4]), qt((6, 4), dt, op, True)], [0, 1], [2], [0], None, 0
    if op == "TRANSPOSE":
        return [qt(X, dt, op), const((3,), "int32", [2, 0, 1]), qt((4, 2, 3), dt, op, True)], [0, 1], [2], [0], \
            None, 0
    if op == "CONCATENATION":
        o = opts("ConcatenationOptions", axis=1)
        return [qt(X, dt, op), qt((2, 2, 4), dt, op), qt((2, 5, 4), dt, op, True)], [0, 1], [2], None, *o
    if op == "PACK":
        o = opts("PackOptions", valuesCount=2, axis=1)
        return [qt(X, dt, op), qt(X, dt, op), qt((2, 2, 3, 4), dt, op, True)], [0, 1], [2], None, *o
    if op == "UNPACK":
        o = opts("UnpackOptions", num=3, axis=1)
        return [qt(X, dt, op)] + [qt((2, 4), dt, op, True) for _ in range(3)], [0], [1, 2, 3], None, *o
    if op == "SPLIT":
        o = opts("SplitOptions", numSplits=2)
        return [const((), "int32", 2), qt(X, dt, op), qt((2, 3, 2), dt, op, True), qt((2, 3, 2), dt, op, True)], \
            [0, 1], [2, 3], [1], *o
    if op == "SPLIT_V":
        o = opts("SplitVOptions", numSplits=2)
        return [qt(X, dt, op), const((2,), "int32", [1, 3]), const((), "int32", 2), qt((2, 3, 1), dt, op, True),
                qt((2, 3, 3), dt, op, True)], [0, 1, 2], [3, 4], [0], *o
    if op == "SLICE":
        return [qt(X, dt, op), const((3,), "int32", [0, 1, 1]), const((3,), "int32", [2, 2, 2]),
                qt((2, 2, 2), dt, op, True)], [0, 1, 2], [3], [0], None, 0
    if op == "STRIDED_SLICE":
        o = opts("StridedSliceOptions")
        return [qt(X, dt, op), const((3,), "int32", [0, 0, 1]), const((3,), "int32", [2, 3, 4]),
                const((3,), "int32", [1, 2, 2]), qt((2, 2, 2), dt, op, True)], [0, 1, 2, 3], [4], [0], *o
    if op == "SQUEEZE":
        o = opts("SqueezeOptions", squeezeDims=[1])
        return [qt((2, 1, 4), dt, op), qt((2, 4), dt, op, True)], [0], [1], None, *o
    if op == "EXPAND_DIMS":
        return [qt(X, dt, op), const((1,), "int32", [1]), qt((2, 1, 3, 4), dt, op, True)], [0, 1], [2], [0], None, 0
    if op in ("PAD", "PADV2", "MIRROR_PAD"):
        t = [qt(X, dt, op), const((3, 2), "int32", [0, 0, 1, 1, 2, 1]), qt((2, 5, 7), dt, op, True)]
        if op == "PADV2":
            t.insert(2, qt((), dt, op, data=np.zeros((), dt)))
            return t, [0, 1, 2], [3], [0], None, 0
        o = opts("MirrorPadOptions", mode=0) if op == "MIRROR_PAD" else (None, 0)
        return t, [0, 1], [2], [0], *o
    if op == "GATHER":
        o = opts("GatherOptions", axis=1)
        return [qt(X, dt, op), const((2,), "int32", [2, 0]), qt((2, 2, 4), dt, op, True)], [0, 1], [2], [0], *o
    if op == "GATHER_ND":
        return [qt(X, dt, op), const((2, 2), "int32", [1, 2, 0, 1]), qt((2, 4), dt, op, True)], [0, 1], [2], [0], \
            None, 0
    if op == "REVERSE_V2":
        return [qt(X, dt, op), const((1,), "int32", [1]), qt(X, dt, op, True)], [0, 1], [2], [0], None, 0
    if op == "BROADCAST_TO":
        return [qt((3, 1), dt, op), const((3,), "int32", [2, 3, 4]), qt(X, dt, op, True)], [0, 1], [2], [0], None, 0
    if op == "SELECT_V2":
        return [T((2, 1, 4), "bool"), qt((3, 4), dt, op), qt(X, dt, op), qt(X, dt, op, True)], [0, 1, 2], [3], \
            None, None, 0
    if op in ("DEPTH_TO_SPACE", "SPACE_TO_DEPTH"):
        o = opts("DepthToSpaceOptions" if op == "DEPTH_TO_SPACE" else "SpaceToDepthOptions", blockSize=2)
        xs, ys = ((1, 2, 3, 8), (1, 4, 6, 2)) if op == "DEPTH_TO_SPACE" else ((1, 4, 6, 2), (1, 2, 3, 8))
        return [qt(xs, dt, op), qt(ys, dt, op, True)], [0], [1], None, *o
    if op in ("SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"):
        xs, ys = ((1, 4, 4, 3), (4, 2, 2, 3)) if op == "SPACE_TO_BATCH_ND" else ((4, 2, 2, 3), (1, 4, 4, 3))
        return [qt(xs, dt, op), const((2,), "int32", [2, 2]), const((2, 2), "int32", [0, 0, 0, 0]),
                qt(ys, dt, op, True)], [0, 1, 2], [3], [0], None, 0
    if op in ("MAX_POOL_2D", "AVERAGE_POOL_2D", "L2_POOL_2D"):
        o = opts("Pool2DOptions", padding=1, strideW=2, strideH=2, filterWidth=2, filterHeight=2)
        return [qt((1, 4, 6, 3), dt, op), qt((1, 2, 3, 3), dt, op, True)], [0], [1], None, *o
    if op in ("RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR"):
        o = opts("ResizeBilinearOptions" if op == "RESIZE_BILINEAR" else "ResizeNearestNeighborOptions")
        return [qt((1, 3, 4, 2), dt, op), const((2,), "int32", [6, 8]), qt((1, 6, 8, 2), dt, op, True)], [0, 1], \
            [2], [0], *o
    if op == "CUMSUM":
        return [qt(X, dt, op), const((), "int32", 1), qt(X, dt, op, True)], [0, 1], [2], [0], \
            *opts("CumsumOptions")
    if op == "ADD_N":
        return [qt(X, dt, op), qt(X, dt, op), qt(X, dt, op, True)], [0, 1], [2], None, None, 0
    if op == "BATCH_MATMUL":
        return [qt((2, 3, 4), dt, op), qt((2, 4, 5), dt, op), qt((2, 3, 5), dt, op, True)], [0, 1], [2], None, \
            *opts("BatchMatMulOptions")
    if op == "EMBEDDING_LOOKUP":
        return [T((3,), "int32"), qt((5, 4), dt, op, data=np.arange(20).reshape(5, 4).astype(dt)),
                qt((3, 4), dt, op, True)], [0, 1], [2], [0], None, 0
    if op in ("FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV"):
        return None  # weight types: covered by the converter fixtures
    return None


def pairs():
    """QUANTIZE / DEQUANTIZE / CAST over type pairs."""
    for a in TYPES:
        for b in TYPES:
            if a != b:
                yield "CAST", f"{a}->{b}"
            if a in QIN or a in ("int32", "float32"):
                if b in QIN or b == "int32":
                    yield "QUANTIZE", f"{a}->{b}"
        if a in QIN or a == "int32":
            yield "DEQUANTIZE", f"{a}->float32"


def build_pair(op: str, pair: str):
    a, b = pair.split("->")
    X = (2, 3, 4)
    if op == "CAST":
        return [T(X, a), T(X, b)], [0], [1], None, None, 0
    qa = QIN.get(a, (0.001, 3) if a == "int32" else None)
    qb = QOUT.get(b, (0.0007, -2) if b == "int32" else None)
    ta = T(X, a, *qa) if qa else T(X, a)
    tb = T(X, b, *qb) if qb and b != "float32" else T(X, b)
    return [ta, tb], [0], [1], None, None, 0


def model_bytes(op: str, dt: str) -> bytes | None:
    spec = build_pair(op, dt) if "->" in dt else build(op, dt)
    if spec is None:
        return None
    t, ins, outs, mins, o, otype = spec
    code = getattr(_s().BuiltinOperator, op)
    if dt != "float32":
        return single_op(code, t, ins, outs, model_inputs=mins, options=o, options_type=otype)
    return float_island(code, t, ins, outs, mins, o, otype)


def float_island(code, t, ins, outs, mins, o, otype) -> bytes:  # noqa: PLR0913
    """A float32 op inside an int8 model (how tinyodl runs float32 ops):
    int8 -> DEQUANTIZE -> op -> QUANTIZE -> int8 for each float32 model input / output."""
    from tflite_build import Sub, model

    s = _s()
    t = list(t)
    ops, m_in, m_out = [], [], []
    for i in (mins if mins is not None else ins):
        if t[i].dtype == "float32":
            t.append(T(t[i].shape, "int8", 0.05, -3))
            ops.append((s.BuiltinOperator.DEQUANTIZE, [len(t) - 1], [i], 0, None))
            m_in.append(len(t) - 1)
        else:
            m_in.append(i)
    ops.append((code, ins, outs, otype, o))
    for i in outs:
        if t[i].dtype == "float32":
            t.append(T(t[i].shape, "int8", 0.05, 0))
            ops.append((s.BuiltinOperator.QUANTIZE, [i], [len(t) - 1], 0, None))
            m_out.append(len(t) - 1)
        else:
            m_out.append(i)
    return model([Sub(t, ops, m_in, m_out)])
