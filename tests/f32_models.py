"""Schema-built int8 models with float32 islands, a float head and an SSD-style
TFLite_Detection_PostProcess head (LiteRT's generated schema, object API),
for tests/test_float_ops.py; TFLite Micro runs them as the reference."""

from __future__ import annotations

import numpy as np
from tflite_build import _TYPES, T, schema_tensor

# builtin codes
ADD, AVG, CONCAT, CONV, DW, DEQ, FC, LOGISTIC, MAXP, MUL, RELU, RELU6, RESHAPE, SOFTMAX, TANH, MEAN, SUB, QUANT = (
    0, 1, 2, 3, 4, 6, 9, 14, 17, 18, 19, 21, 22, 25, 28, 40, 41, 114)
CUSTOM = 32


class Builder:
    def __init__(self, seed: int) -> None:
        self.tensors: list[T] = []
        self.ops: list[tuple] = []
        self.rng = np.random.default_rng(seed)

    def t(self, shape, dtype="float32", scale=None, zp=0, data=None) -> int:
        self.tensors.append(T(tuple(shape), dtype, scale, zp, data))
        return len(self.tensors) - 1

    def const(self, shape, lo=-1.0, hi=1.0) -> int:
        return self.t(shape, data=self.rng.uniform(lo, hi, shape).astype(np.float32))

    def op(self, code, ins, outs, opts=None, opts_type=0, custom: bytes | None = None) -> None:
        self.ops.append((code, list(ins), list(outs), opts, opts_type, custom))

    def build(self, inputs: list[int], outputs: list[int]) -> bytes:
        import flatbuffers
        from ai_edge_litert import schema_py_generated as s

        m = s.ModelT()
        m.version = 3
        keys = sorted({(c, cu) for c, _, _, _, _, cu in self.ops}, key=lambda k: (k[0], k[1] or b""))
        m.operatorCodes = []
        for code, cu in keys:
            oc = s.OperatorCodeT()
            oc.builtinCode, oc.deprecatedBuiltinCode, oc.version = code, min(code, 127), 1
            if cu is not None:
                oc.customCode = b"TFLite_Detection_PostProcess"
            m.operatorCodes.append(oc)
        m.buffers = [s.BufferT()]
        g = s.SubGraphT()
        g.tensors = [schema_tensor(s, m, k, t, _TYPES[t.dtype]) for k, t in enumerate(self.tensors)]
        g.operators = []
        for code, ins, outs, opts, opts_type, cu in self.ops:
            o = s.OperatorT()
            o.opcodeIndex = keys.index((code, cu))
            o.inputs, o.outputs = ins, outs
            if opts is not None:
                o.builtinOptionsType, o.builtinOptions = opts_type, opts
            if cu is not None:
                o.customOptions = list(cu)
            g.operators.append(o)
        g.inputs, g.outputs = inputs, outputs
        m.subgraphs = [g]
        b = flatbuffers.Builder(4096)
        b.Finish(m.Pack(b), file_identifier=b"TFL3")
        return bytes(b.Output())


def _opts(name: str, **kw):
    from ai_edge_litert import schema_py_generated as s

    o = getattr(s, name + "T")()
    for k, v in kw.items():
        setattr(o, k, v)
    return o, getattr(s.BuiltinOptions, name)


def island_model(seed: int = 1) -> bytes:
    """int8 in -> DEQUANTIZE -> float conv / depthwise / pools / ADD / MUL /
    SUB / MEAN / FC / TANH / LOGISTIC / CONCATENATION / RELU / SOFTMAX ->
    QUANTIZE int8 out, plus two float outputs (FC and a RESHAPE)."""
    b = Builder(seed)
    x = b.t((1, 8, 8, 3), "int8", 0.05, 3)
    xf = b.t((1, 8, 8, 3))
    b.op(DEQ, [x], [xf])
    c1 = b.t((1, 8, 8, 4))
    b.op(CONV, [xf, b.const((4, 3, 3, 3)), b.const((4,))], [c1],
         *_opts("Conv2DOptions", padding=0, strideH=1, strideW=1, fusedActivationFunction=1))
    d1 = b.t((1, 4, 4, 8))
    b.op(DW, [c1, b.const((1, 3, 3, 8)), b.const((8,))], [d1],
         *_opts("DepthwiseConv2DOptions", padding=0, strideH=2, strideW=2, depthMultiplier=2,
                fusedActivationFunction=3))
    a1 = b.t((1, 3, 3, 8))
    b.op(AVG, [d1], [a1], *_opts("Pool2DOptions", padding=1, strideH=1, strideW=1, filterHeight=2, filterWidth=2))
    m1 = b.t((1, 2, 2, 8))
    b.op(MAXP, [d1], [m1], *_opts("Pool2DOptions", padding=0, strideH=2, strideW=2, filterHeight=3,
                                  filterWidth=3))
    s1 = b.t((1, 3, 3, 8))
    b.op(ADD, [a1, b.const((8,))], [s1], *_opts("AddOptions", fusedActivationFunction=0))
    p1 = b.t((1, 3, 3, 8))
    b.op(MUL, [s1, b.const((1, 3, 1, 8))], [p1], *_opts("MulOptions", fusedActivationFunction=0))
    q1 = b.t((1, 3, 3, 8))
    b.op(SUB, [p1, a1], [q1], *_opts("SubOptions", fusedActivationFunction=1))
    mean = b.t((1, 8))
    b.op(MEAN, [q1, b.t((2,), "int32", data=np.array([1, 2], np.int32))], [mean],
         *_opts("ReducerOptions", keepDims=False))
    mmean = b.t((1, 8))
    b.op(MEAN, [m1, b.t((2,), "int32", data=np.array([1, 2], np.int32))], [mmean],
         *_opts("ReducerOptions", keepDims=False))
    both = b.t((1, 16))
    b.op(CONCAT, [mean, mmean], [both], *_opts("ConcatenationOptions", axis=1))
    fc = b.t((1, 6))
    b.op(FC, [both, b.const((6, 16)), b.const((6,))], [fc], *_opts("FullyConnectedOptions"))
    th, lg = b.t((1, 6)), b.t((1, 6))
    b.op(TANH, [fc], [th])
    b.op(LOGISTIC, [fc], [lg])
    cat = b.t((1, 12))
    b.op(CONCAT, [th, lg], [cat], *_opts("ConcatenationOptions", axis=1))
    r6, sm = b.t((1, 12)), b.t((1, 12))
    b.op(RELU6, [cat], [r6])
    b.op(SOFTMAX, [r6], [sm], *_opts("SoftmaxOptions", beta=1.7))
    out = b.t((1, 12), "int8", 1 / 256, -128)
    b.op(QUANT, [sm], [out])
    rl, rs = b.t((1, 6)), b.t((1, 3, 2))
    b.op(RELU, [fc], [rl])
    b.op(RESHAPE, [rl, b.t((3,), "int32", data=np.array([1, 3, 2], np.int32))], [rs],
         *_opts("ReshapeOptions", newShape=[1, 3, 2]))
    return b.build([x], [out, fc, rs, cat, sm])


def ssd_head_model(regular: bool, seed: int = 2, n: int = 24, classes: int = 3) -> bytes:
    """int8 box encodings and class logits -> DEQUANTIZE -> LOGISTIC ->
    TFLite_Detection_PostProcess (anchors constant) -> 4 float outputs."""
    from flatbuffers import flexbuffers

    b = Builder(seed)
    boxes, logits = b.t((1, n, 4), "int8", 0.04, 0), b.t((1, n, classes + 1), "int8", 0.02, -10)
    bf, lf, probs = b.t((1, n, 4)), b.t((1, n, classes + 1)), b.t((1, n, classes + 1))
    b.op(DEQ, [boxes], [bf])
    b.op(DEQ, [logits], [lf])
    b.op(LOGISTIC, [lf], [probs])
    centers = b.rng.uniform(0.1, 0.9, (n, 2))
    sizes = b.rng.uniform(0.1, 0.4, (n, 2))
    anchors = b.t((n, 4), data=np.concatenate([centers, sizes], axis=1).astype(np.float32))
    det = 10
    outs = [b.t((1, det, 4)), b.t((1, det)), b.t((1, det)), b.t((1,))]
    opts = {"max_detections": det, "max_classes_per_detection": 1, "detections_per_class": 4,
            "use_regular_nms": regular, "nms_score_threshold": 0.9, "nms_iou_threshold": 0.45,
            "num_classes": classes, "y_scale": 10.0, "x_scale": 10.0, "h_scale": 5.0, "w_scale": 5.0}
    b.op(CUSTOM, [bf, probs, anchors], outs, custom=bytes(flexbuffers.Dumps(opts)))
    return b.build([boxes, logits], outs)


def movement_model(seed: int = 3) -> bytes:
    """The pure data-movement ops (and PAD / PADV2) on float32 after a DEQUANTIZE."""
    (RESH, SQUEEZE, EXPAND, SSLICE, SLICE, SPLIT, PACK, UNPACK, TRANSPOSE) = (22, 43, 70, 45, 65, 49, 83, 88, 39)
    b = Builder(seed)

    def ints(*v):
        return b.t((len(v),), "int32", data=np.array(v, np.int32))

    x = b.t((1, 4, 6, 2), "int8", 0.1, 2)
    xf, r, e, tr = b.t((1, 4, 6, 2)), b.t((4, 6, 2)), b.t((1, 4, 6, 2)), b.t((1, 6, 4, 2))
    b.op(DEQ, [x], [xf])
    b.op(RESH, [xf, ints(4, 6, 2)], [r], *_opts("ReshapeOptions", newShape=[4, 6, 2]))
    b.op(EXPAND, [r, b.t((), "int32", data=np.array(0, np.int32))], [e])
    b.op(TRANSPOSE, [e, ints(0, 2, 1, 3)], [tr])
    ss, sl = b.t((1, 3, 4, 2)), b.t((1, 3, 3, 2))
    b.op(SSLICE, [tr, ints(0, 1, 0, 0), ints(1, 6, 4, 2), ints(1, 2, 1, 1)], [ss], *_opts("StridedSliceOptions"))
    b.op(SLICE, [ss, ints(0, 0, 1, 0), ints(1, 3, 3, 2)], [sl])
    p0, p1, cat, sq = b.t((1, 3, 3, 1)), b.t((1, 3, 3, 1)), b.t((1, 3, 6, 1)), b.t((3, 6))
    b.op(SPLIT, [b.t((), "int32", data=np.array(3, np.int32)), sl], [p0, p1], *_opts("SplitOptions", numSplits=2))
    b.op(CONCAT, [p1, p0], [cat], *_opts("ConcatenationOptions", axis=2))
    b.op(SQUEEZE, [cat], [sq], *_opts("SqueezeOptions", squeezeDims=[0, 3]))
    rows, packed = [b.t((6,)) for _ in range(3)], b.t((6, 3))
    b.op(UNPACK, [sq], rows, *_opts("UnpackOptions", num=3, axis=0))
    b.op(PACK, rows, [packed], *_opts("PackOptions", valuesCount=3, axis=1))
    padded, padded2 = b.t((8, 4)), b.t((7, 5))
    b.op(34, [packed, b.t((2, 2), "int32", data=np.array([[1, 1], [0, 1]], np.int32))], [padded])  # PAD
    b.op(60, [packed, b.t((2, 2), "int32", data=np.array([[0, 1], [2, 0]], np.int32)),  # PADV2
              b.t((), data=np.array(-1.75, np.float32))], [padded2])
    return b.build([x], [packed, sl, padded, padded2])


def unsupported_float_model() -> bytes:
    """A float LOGICAL_NOT between DEQUANTIZE and QUANTIZE (no float32 kernel)."""
    b = Builder(4)
    x, xf = b.t((1, 2, 2, 1), "int8", 0.1, 0), b.t((1, 2, 2, 1))
    yf, y = b.t((1, 2, 2, 1)), b.t((1, 2, 2, 1), "int8", 0.1, 0)
    b.op(DEQ, [x], [xf])
    b.op(87, [xf], [yf])
    b.op(QUANT, [yf], [y])
    return b.build([x], [y])


def int8_conv_then_float(seed: int = 5) -> bytes:
    """int8 CONV_2D -> DEQUANTIZE -> float LOGISTIC -> QUANTIZE: the conv
    sits behind a float part, so it cannot train."""
    b = Builder(seed)
    x, c = b.t((1, 6, 6, 3), "int8", 0.05, 0), b.t((1, 6, 6, 2), "int8", 0.1, -3)
    w = b.t((2, 3, 3, 3), "int8", 0.02, 0, b.rng.integers(-127, 128, (2, 3, 3, 3), dtype=np.int8))
    bias = b.t((2,), "int32", 0.05 * 0.02, 0, np.array([40, -70], np.int32))
    b.op(CONV, [x, w, bias], [c], *_opts("Conv2DOptions", padding=0, strideH=1, strideW=1))
    cf, lf, y = b.t((1, 6, 6, 2)), b.t((1, 6, 6, 2)), b.t((1, 6, 6, 2), "int8", 1 / 256, -128)
    b.op(DEQ, [c], [cf])
    b.op(LOGISTIC, [cf], [lf])
    b.op(QUANT, [lf], [y])
    return b.build([x], [y])


def island2_model(seed: int = 6) -> bytes:
    """The other float element-wise ops and reductions: MAXIMUM, MINIMUM, DIV,
    SQUARED_DIFFERENCE, PRELU, LEAKY_RELU, HARD_SWISH, ABS, RSQRT, SUM,
    REDUCE_MAX, REDUCE_MIN, L2_NORMALIZATION."""
    (MAXIMUM, MINIMUM, DIV, SQDIFF, PRELU, LEAKY, HSWISH, ABS, RSQRT, SUM, RMAX, RMIN) = (
        55, 57, 42, 99, 54, 98, 117, 101, 76, 74, 82, 89)
    b = Builder(seed)
    x = b.t((1, 4, 5, 6), "int8", 0.04, -2)
    xf = b.t((1, 4, 5, 6))
    b.op(DEQ, [x], [xf])
    shape = (1, 4, 5, 6)
    mx, mn, dv, sq, pr, lk, hs, ab, rs = (b.t(shape) for _ in range(9))
    b.op(MAXIMUM, [xf, b.const((6,))], [mx])
    b.op(MINIMUM, [mx, b.const((1, 1, 5, 1))], [mn])
    b.op(DIV, [mn, b.const((6,), 0.5, 2.0)], [dv], *_opts("DivOptions", fusedActivationFunction=0))
    b.op(SQDIFF, [dv, xf], [sq])
    b.op(PRELU, [dv, b.const((1, 1, 6))], [pr])
    b.op(LEAKY, [pr], [lk], *_opts("LeakyReluOptions", alpha=0.3))
    b.op(HSWISH, [lk], [hs])
    b.op(ABS, [hs], [ab])
    ab1 = b.t(shape)
    b.op(ADD, [ab, sq], [ab1], *_opts("AddOptions", fusedActivationFunction=0))
    b.op(RSQRT, [ab1], [rs])
    sm, rmx, rmn = b.t((1, 6)), b.t((1, 4, 1, 6)), b.t((4, 5))
    b.op(SUM, [rs, b.t((2,), "int32", data=np.array([1, 2], np.int32))], [sm], *_opts("ReducerOptions", keepDims=False))
    b.op(RMAX, [hs, b.t((1,), "int32", data=np.array([2], np.int32))], [rmx], *_opts("ReducerOptions", keepDims=True))
    b.op(RMIN, [lk, b.t((2,), "int32", data=np.array([0, 3], np.int32))], [rmn],
         *_opts("ReducerOptions", keepDims=False))
    l2 = b.t((1, 4, 5, 6))
    b.op(11, [dv], [l2], *_opts("L2NormOptions"))  # L2_NORMALIZATION over channels
    return b.build([x], [sm, rmx, rmn, rs, l2])


def movement2_model(seed: int = 7) -> bytes:
    """RESIZE_NEAREST_NEIGHBOR, GATHER, REVERSE_V2, SPLIT_V, BROADCAST_TO, SELECT_V2 and GATHER_ND on float32."""
    (RESIZE_NN, GATHER, REVERSE, SPLIT_V, BCAST) = (97, 36, 105, 102, 130)
    b = Builder(seed)

    def ints(*v):
        return b.t((len(v),), "int32", data=np.array(v, np.int32))

    x = b.t((1, 3, 4, 2), "int8", 0.1, 2)
    xf, rs, ga, rv = b.t((1, 3, 4, 2)), b.t((1, 6, 8, 2)), b.t((1, 3, 8, 2)), b.t((1, 3, 8, 2))
    b.op(DEQ, [x], [xf])
    b.op(RESIZE_NN, [xf, ints(6, 8)], [rs], *_opts("ResizeNearestNeighborOptions", halfPixelCenters=True))
    b.op(GATHER, [rs, ints(5, 0, 2)], [ga], *_opts("GatherOptions", axis=1))
    b.op(REVERSE, [ga, ints(2)], [rv])
    p0, p1, bc = b.t((1, 3, 3, 2)), b.t((1, 3, 5, 2)), b.t((2, 3, 3, 2))
    b.op(SPLIT_V, [rv, ints(3, 5), b.t((), "int32", data=np.array(2, np.int32))], [p0, p1],
         *_opts("SplitVOptions", numSplits=2))
    b.op(BCAST, [p0, ints(2, 3, 3, 2)], [bc])
    cond, sel, gnd = b.t((1, 3, 5, 2), "bool"), b.t((1, 3, 5, 2)), b.t((2, 5, 2))
    b.op(61, [p1, b.const((2,))], [cond])  # GREATER (float, broadcast)
    b.op(123, [cond, p1, b.const((1, 1, 5, 2))], [sel])  # SELECT_V2
    b.op(107, [sel, b.t((2, 2), "int32", data=np.array([[0, 2], [0, 0]], np.int32))], [gnd])  # GATHER_ND
    return b.build([x], [bc, p1, sel, gnd])


def compare_model(seed: int = 8) -> bytes:
    """Float comparisons (bool out, broadcasting) and ARG_MAX / ARG_MIN (int32 out; TFLite Micro fails on int64)."""
    EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL, ARG_MAX, ARG_MIN = 71, 72, 61, 62, 58, 63, 56, 79
    b = Builder(seed)
    x = b.t((1, 3, 5), "int8", 0.25, 0)
    xf = b.t((1, 3, 5))
    b.op(DEQ, [x], [xf])
    ref = b.t((5,), data=(b.rng.integers(-8, 8, 5) * 0.25).astype(np.float32))
    outs = []
    for code in (EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL):
        outs.append(b.t((1, 3, 5), "bool"))
        b.op(code, [xf, ref], [outs[-1]])
    am, an = b.t((1, 5), "int32"), b.t((1, 3), "int32")
    b.op(ARG_MAX, [xf, b.t((1,), "int32", data=np.array([1], np.int32))], [am], *_opts("ArgMaxOptions", outputType=2))
    b.op(ARG_MIN, [xf, b.t((1,), "int32", data=np.array([2], np.int32))], [an], *_opts("ArgMinOptions", outputType=2))
    return b.build([x], [*outs, am, an])


def resize_bilinear_model(seed: int = 9) -> bytes:
    """float RESIZE_BILINEAR: default, half-pixel centers, align corners (up and down)."""
    b = Builder(seed)
    x = b.t((1, 5, 7, 3), "int8", 0.05, 1)
    xf = b.t((1, 5, 7, 3))
    b.op(DEQ, [x], [xf])
    outs = []
    for (oh, ow), align, half in (((9, 12), False, False), ((9, 12), False, True), ((3, 4), True, False),
                                  ((8, 5), False, True)):
        outs.append(b.t((1, oh, ow, 3)))
        b.op(23, [xf, b.t((2,), "int32", data=np.array([oh, ow], np.int32))], [outs[-1]],
             *_opts("ResizeBilinearOptions", alignCorners=align, halfPixelCenters=half))
    return b.build([x], outs)


def leftovers_model(seed: int = 10) -> bytes:
    """What the converter leaves float in int8 models: ELU, ADD_N, CUMSUM
    (NOT_EQUAL is in compare_model)."""
    ELU, ADD_N, CUMSUM = 111, 106, 128
    b = Builder(seed)
    x = b.t((1, 4, 6), "int8", 0.06, -5)
    xf, el, an = b.t((1, 4, 6)), b.t((1, 4, 6)), b.t((1, 4, 6))
    b.op(DEQ, [x], [xf])
    b.op(ELU, [xf], [el])
    b.op(ADD_N, [el, xf, b.const((1, 4, 6))], [an])
    c1, c2 = b.t((1, 4, 6)), b.t((1, 4, 6))
    axis2, axis1 = (b.t((), "int32", data=np.array(v, np.int32)) for v in (2, 1))
    b.op(CUMSUM, [an, axis2], [c1], *_opts("CumsumOptions", exclusive=False, reverse=False))
    b.op(CUMSUM, [an, axis1], [c2], *_opts("CumsumOptions", exclusive=True, reverse=True))
    return b.build([x], [el, c1, c2])


def batch_matmul_model(seed: int = 11) -> bytes:
    """float BATCH_MATMUL: broadcast batch dims, adj_x / adj_y, a constant operand."""
    BMM = 126
    b = Builder(seed)
    x = b.t((2, 3, 4), "int8", 0.05, 3)
    xf = b.t((2, 3, 4))
    b.op(DEQ, [x], [xf])
    y1, y2, y3 = b.t((2, 3, 5)), b.t((2, 4, 4)), b.t((3, 2, 3, 3))
    b.op(BMM, [xf, b.const((4, 5))], [y1], *_opts("BatchMatMulOptions"))
    b.op(BMM, [xf, b.const((1, 3, 4))], [y2], *_opts("BatchMatMulOptions", adjX=True))
    b.op(BMM, [xf, b.const((3, 1, 3, 4))], [y3], *_opts("BatchMatMulOptions", adjY=True))
    return b.build([x], [y1, y2, y3])


def transpose_conv_model(seed: int = 12) -> bytes:
    """float TRANSPOSE_CONV: stride 2 SAME with bias, stride 1 VALID without, fused RELU."""
    TCONV = 67
    b = Builder(seed)
    x = b.t((1, 4, 4, 3), "int8", 0.05, -1)
    xf = b.t((1, 4, 4, 3))
    b.op(DEQ, [x], [xf])
    y1, y2 = b.t((1, 8, 8, 2)), b.t((1, 6, 6, 2))
    b.op(TCONV, [b.t((4,), "int32", data=np.array([1, 8, 8, 2], np.int32)), b.const((2, 3, 3, 3)), xf, b.const((2,))],
         [y1], *_opts("TransposeConvOptions", padding=0, strideH=2, strideW=2))
    b.op(TCONV, [b.t((4,), "int32", data=np.array([1, 6, 6, 2], np.int32)), b.const((2, 3, 3, 3)), xf], [y2],
         *_opts("TransposeConvOptions", padding=1, strideH=1, strideW=1, fusedActivationFunction=1))
    return b.build([x], [y1, y2])


def math_model(seed: int = 12) -> bytes:
    """float NEG, SQUARE, FLOOR, CEIL, ROUND, SQRT, EXP, FLOOR_DIV, FLOOR_MOD
    L2_POOL_2D, LOG_SOFTMAX and LOG of squares, 0 included (ROUND sees exact halves: the input scale
    is 0.25); SIN and COS of x (fast reduction) and of x * 977.3 (|x| >= 120: the 4/pi table)."""
    NEG, SQUARE, FLOOR, CEIL, ROUND, SQRT, EXP, FLOOR_DIV, FLOOR_MOD = 59, 92, 8, 104, 116, 75, 47, 90, 95
    L2_POOL, LOG_SOFTMAX, LOG, SIN, COS = 12, 50, 73, 66, 108
    b = Builder(seed)
    x = b.t((2, 3, 5), "int8", 0.25, 3)
    xf = b.t((2, 3, 5))
    b.op(DEQ, [x], [xf])
    outs = []
    for code in (NEG, SQUARE, FLOOR, CEIL, ROUND, EXP):
        outs.append(b.t((2, 3, 5)))
        b.op(code, [xf], [outs[-1]])
    sq, rt = b.t((2, 3, 5)), b.t((2, 3, 5))
    b.op(SQUARE, [xf], [sq])
    b.op(SQRT, [sq], [rt])
    divisor = b.t((5,), data=np.array([1.5, -2.0, 0.75, -0.3, 7.0], np.float32))
    fd, fm = b.t((2, 3, 5)), b.t((2, 3, 5))
    b.op(FLOOR_DIV, [xf, divisor], [fd])
    b.op(FLOOR_MOD, [xf, divisor], [fm])
    x4, p1, p2 = b.t((1, 2, 3, 5)), b.t((1, 2, 3, 5)), b.t((1, 1, 1, 5))
    b.op(RESHAPE, [xf, b.t((4,), "int32", data=np.array([1, 2, 3, 5], np.int32))], [x4])
    b.op(L2_POOL, [x4], [p1], *_opts("Pool2DOptions", padding=0, strideH=1, strideW=1, filterHeight=2,
                                     filterWidth=2))
    b.op(L2_POOL, [x4], [p2], *_opts("Pool2DOptions", padding=1, strideH=1, strideW=2, filterHeight=2,
                                     filterWidth=2, fusedActivationFunction=3))
    ls1, ls2 = b.t((2, 3, 5)), b.t((2, 3, 5))
    b.op(LOG_SOFTMAX, [xf], [ls1])
    b.op(LOG_SOFTMAX, [rt], [ls2])
    lg = b.t((2, 3, 5))
    b.op(LOG, [sq], [lg])
    big = b.t((2, 3, 5))
    b.op(MUL, [xf, b.t((1,), data=np.array([977.3], np.float32))], [big], *_opts("MulOptions"))
    trig = [b.t((2, 3, 5)) for _ in range(4)]
    for t, (code, src) in zip(trig, [(SIN, xf), (COS, xf), (SIN, big), (COS, big)]):
        b.op(code, [src], [t])
    return b.build([x], [*outs, rt, fd, fm, p1, p2, ls1, ls2, lg, *trig])


SVDF, LSTM = 27, 44


def _svdf_opts(rank: int, act: int):
    from ai_edge_litert import schema_py_generated as s

    o = s.SVDFOptionsT()
    o.rank, o.fusedActivationFunction = rank, act
    return o, s.BuiltinOptions.SVDFOptions


def _variable(b: Builder, shape) -> int:
    b.tensors.append(T(tuple(shape), "float32", variable=True))
    return len(b.tensors) - 1


def _add_svdf(b: Builder, acts=((1, 1), (2, 0))) -> tuple[list[int], list[int]]:
    """int8 x [2, 10] -> DEQUANTIZE -> one SVDF per (rank, fused activation code), by default rank 1
    with RELU and rank 2 with none (TFLite Micro crashes on a float SVDF without bias: all have one)."""
    x = b.t((2, 10), "int8", 0.05, -3)
    xf = b.t((2, 10))
    b.op(DEQ, [x], [xf])
    outs = []
    for rank, act in acts:
        nf, nm = 8, 5
        ins = [xf, b.const((nf, 10)), b.const((nf, nm)), b.const((nf // rank,)), _variable(b, (2, nf * nm))]
        outs.append(b.t((2, nf // rank)))
        b.op(SVDF, ins, [outs[-1]], *_svdf_opts(rank, act))
    return [x], outs


def _add_lstm(b: Builder) -> tuple[list[int], list[int]]:
    """int8 x [T=4, B=2, I=3] -> DEQUANTIZE -> time-major float LSTM (6 units, cell clip 0.4)."""
    from ai_edge_litert import schema_py_generated as s

    x = b.t((4, 2, 3), "int8", 0.04, 2)
    xf, y = b.t((4, 2, 3)), b.t((4, 2, 6))
    b.op(DEQ, [x], [xf])
    ins = [xf] + [b.const((6, 3), -0.8, 0.8) for _ in range(4)] + [b.const((6, 6), -0.8, 0.8) for _ in range(4)]
    ins += [-1] * 3 + [b.const((6,), -0.5, 0.5) for _ in range(4)] + [-1] * 2
    ins += [_variable(b, (2, 6)), _variable(b, (2, 6))] + [-1] * 4
    o = s.UnidirectionalSequenceLSTMOptionsT()
    o.fusedActivationFunction, o.cellClip, o.timeMajor = 4, 0.4, True
    b.op(LSTM, ins, [y], o, s.BuiltinOptions.UnidirectionalSequenceLSTMOptions)
    return [x], [y]


def recurrent_model(svdf: bool = True, lstm: bool = True, svdf_acts=((1, 1), (2, 0))) -> bytes:
    """float32 SVDFs and a float32 LSTM behind DEQUANTIZEs (tests/test_float_recurrent.py)."""
    b = Builder(21)
    ins, outs = [], []
    for add in [lambda b: _add_svdf(b, svdf_acts)] * svdf + [_add_lstm] * lstm:
        i, o = add(b)
        ins, outs = ins + i, outs + o
    return b.build(ins, outs)
