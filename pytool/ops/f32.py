"""float32 ops inside quantized models (DEQUANTIZE -> float ops -> QUANTIZE
islands, float heads): one C op (F32, runtime_c/src/ops/f32.c) whose first
param selects the kernel. Each kernel repeats TFLite Micro's float reference
kernel in the same operation order (sequential float32 sums, products and
clamps, glibc's expf algorithm (f32_expf.py), glibc's tanhf as odl_tanhf), so the
bytes match on every target compiled with -ffp-contract=off.

An op module calls ``maybe_lower`` first and hands ``low.opcode == OPCODE``
back to ``ref``; ops without a float kernel are refused with one line.

C params (float values as their int32 bits):
  ADD/SUB/MUL/MAXIMUM/MINIMUM/DIV/SQUARED_DIFFERENCE/PRELU:
      [kind, act_lo, act_hi, d0..d3, a strides 4, b strides 4]
  LOGISTIC/TANH/HARD_SWISH/ABS/RSQRT: [kind]   CLAMP (RELU, RELU6): [kind, lo, hi]
  LEAKY_RELU: [kind, alpha]    SOFTMAX: [kind, beta, outer, depth]
  L2_NORMALIZATION: [kind, outer, depth] (sum of squares, sqrtf, max with 1e-6, divide)
  EQUAL ... LESS_EQUAL (bool out): [kind, comparison 0..5, d0..d3, a strides 4, b strides 4]
  ARG_MAX / ARG_MIN (int32 or int64 out): [kind, is_min, outer, axis, inner, out_is_int64]
  ELU: [kind] (x < 0 ? expm1f(x) : x)   ADD_N: [kind] (0 + x0 + x1 + ... per element)
  CUMSUM: [kind, outer, axis, inner, exclusive, reverse]
  MEAN/SUM/REDUCE_MAX/REDUCE_MIN: [kind, d0..d3, reduced-axes mask, mode (0 mean, 1 sum, 2 max, 3 min)]
  FC, CONV_2D, DEPTHWISE_CONV_2D, pools (L2_POOL_2D too): see f32_conv.py.
  NEG ... LOG, FLOOR_DIV, FLOOR_MOD, LOG_SOFTMAX (kinds 32-43): see f32_math.py.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable

import numpy as np

from pytool import ops as opreg
from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32_expf
from pytool.ops.common import broadcast_views4
from pytool.ops.quantize import float_bits, float_from_bits

OPCODE = 90
ADD, SUB, MUL, FC, CONV, DEPTHWISE, AVG_POOL, MAX_POOL, MEAN, LOGISTIC, TANH, CLAMP, SOFTMAX = range(1, 14)
MAXIMUM, MINIMUM, DIV, SQUARED_DIFFERENCE, PRELU, LEAKY_RELU, HARD_SWISH, ABS, RSQRT, L2_NORM = range(14, 24)
COMPARE, ARG, RESIZE_BILINEAR, ELU, ADD_N, CUMSUM, BATCH_MATMUL, TRANSPOSE_CONV = 24, 25, 26, 27, 28, 29, 30, 31
L2_POOL = 41  # 32..40: pytool/ops/f32_math.py
COMPARISONS = ("EQUAL", "NOT_EQUAL", "GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL")
# Ops whose float32 kernel reads floats but writes another type.
FLOAT_IN_OPS = (*COMPARISONS, "ARG_MAX", "ARG_MIN")
BINARY = (ADD, SUB, MUL, MAXIMUM, MINIMUM, DIV, SQUARED_DIFFERENCE, PRELU)
REDUCE_MEAN, REDUCE_SUM, REDUCE_MAX, REDUCE_MIN = 0, 1, 2, 3
F32_MAX = float(np.finfo(np.float32).max)
# Fused activation -> TFLite's CalculateActivationRange (float).
ACT_RANGE = {"NONE": (-F32_MAX, F32_MAX), "RELU": (0.0, F32_MAX), "RELU6": (0.0, 6.0),
             "RELU_N1_TO_1": (-1.0, 1.0)}


# Value copies that take float32 as any other element size (tests/test_float_ops.py).
COPY_OPS = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS", "TRANSPOSE", "STRIDED_SLICE", "SLICE", "SPLIT", "CONCATENATION",
            "PACK", "UNPACK", "PAD", "PADV2", "RESIZE_NEAREST_NEIGHBOR", "GATHER", "REVERSE_V2", "SPLIT_V",
            "BROADCAST_TO", "SELECT_V2", "GATHER_ND", "FILL", "DEPTH_TO_SPACE", "SPACE_TO_DEPTH", "MIRROR_PAD",
            "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND")


def float32_ops() -> set[str]:
    """Every op type that runs on float32 tensors (the README table's column)."""
    from pytool.ops import f32_conv, f32_math

    return {*LOWER, *f32_conv.LOWER, *f32_math.LOWER, *COPY_OPS, "QUANTIZE", "DEQUANTIZE"}


def unsupported_reason(g: Graph, op: Op) -> str | None:
    """Why a float32 op of a quantized model cannot run (None if it can, or
    if the whole model is float: the quantizer converts those)."""
    reads_float = any(n in g.tensors and g.tensors[n].dtype == "float32" and not g.tensors[n].is_const
                      for n in op.inputs)
    if op.type in ("DEQUANTIZE", "CAST") or not (is_float(g, op) or reads_float) or not g.is_quantized:
        return None
    if op.type in float32_ops() or "float32" in getattr(opreg.get(op.type), "TYPES", ()):
        return None
    return (f"{op.type} on float32 is not supported (no float32 kernel; float32 runs "
            f"{', '.join(sorted(float32_ops()))} and TFLite_Detection_PostProcess)")


def is_float(g: Graph, op: Op) -> bool:
    if any(g.tensors[n].dtype == "float32" for n in op.outputs):
        return True
    return op.type in FLOAT_IN_OPS and any(g.tensors[n].dtype == "float32" for n in op.inputs if n in g.tensors)


def maybe_lower(g: Graph, op: Op) -> Lowered | None:
    """The float lowering when the op computes float32, else None."""
    if not is_float(g, op):
        return None
    for n in op.inputs:
        if n is not None and n in g.tensors and g.tensors[n].dtype not in ("float32", "int32", "int64"):
            raise IRError(f"{op.type} '{op.name}': float32 output with {g.tensors[n].dtype} input '{n}' "
                          "(hybrid) is not supported")
    from pytool.ops import f32_conv, f32_math

    lowerers: dict[str, Callable[[Graph, Op], Lowered]] = {**LOWER, **f32_conv.LOWER, **f32_math.LOWER}
    if op.type not in lowerers:
        raise IRError(f"{op.type} '{op.name}': no float32 kernel (float32 ops supported: "
                      f"{', '.join(sorted(lowerers))})")
    low = lowerers[op.type](g, op)
    low.opcode = OPCODE
    return low


def ref(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    from pytool.ops import f32_conv, f32_math

    kind = low.params[0]
    if kind in f32_conv.REF:
        y = f32_conv.REF[kind](g, op, low, xs)
    else:
        y = {**REF, **f32_math.REF}[kind](low, [None if x is None else np.asarray(x, np.float32) for x in xs])
    t = g.tensors[op.outputs[0]]
    return [np.asarray(y).astype(t.np_dtype).reshape(t.shape)]


def act_params(op: Op) -> list[int]:
    act = op.attrs.get("activation", "NONE") or "NONE"
    if act not in ACT_RANGE:
        raise IRError(f"{op.type} '{op.name}': fused activation {act} on float32 is not supported")
    return [float_bits(v) for v in ACT_RANGE[act]]


def clamp(x: np.ndarray, lo_bits: int, hi_bits: int) -> np.ndarray:
    """std::min(std::max(x, lo), hi), NaN kept."""
    lo, hi = float_from_bits(lo_bits), float_from_bits(hi_bits)
    y = np.where(x < lo, lo, x)
    return np.where(hi < y, hi, y).astype(np.float32)


def _pad4(shape: tuple, op: Op) -> list[int]:
    if len(shape) > 4:
        raise IRError(f"{op.type} '{op.name}': float32 tensors of rank {len(shape)} are not supported (rank <= 4)")
    return [1] * (4 - len(shape)) + [int(d) for d in shape]


def _strides(shape: list[int], out: list[int]) -> list[int]:
    st, acc = [0] * 4, 1
    for i in range(3, -1, -1):
        st[i] = acc if shape[i] == out[i] else 0
        acc *= shape[i]
    return st


def _lower_binary(kind: int, fused: bool = True):
    """fused: the op has a fused activation (ADD, SUB, MUL, DIV: TFLite clamps
    to its float range, +-FLT_MAX for NONE); the others do not clamp."""
    def lower(g: Graph, op: Op) -> Lowered:
        a, b, y = op.inputs[0], op.inputs[1], op.outputs[0]
        sa, sb, sy = (tuple(g.tensors[n].shape) for n in (a, b, y))
        views = broadcast_views4(sa, sb, sy)  # rank 5 merged into 4-D views where it fits
        if views is not None:
            sa, sb, sy = views
        da, db, dy = _pad4(sa, op), _pad4(sb, op), _pad4(sy, op)
        act = act_params(op) if fused else [float_bits(-np.inf), float_bits(np.inf)]
        return Lowered(inputs=[a, b], params=[kind, *act, *dy, *_strides(da, dy), *_strides(db, dy)])
    return lower


def _ref_binary(low: Lowered, xs: list) -> np.ndarray:
    kind, lo, hi = low.params[:3]
    a, b = np.broadcast_arrays(xs[0], xs[1])
    with np.errstate(all="ignore"):
        if kind == SQUARED_DIFFERENCE:
            d = (a - b).astype(np.float32)
            y = d * d
        elif kind == PRELU:
            y = np.where(a >= 0, a, (a * b).astype(np.float32))
        else:
            y = {ADD: np.add, SUB: np.subtract, MUL: np.multiply, DIV: np.divide,
                 MAXIMUM: lambda u, v: np.where(u > v, u, v), MINIMUM: lambda u, v: np.where(u < v, u, v)}[kind](a, b)
    return clamp(np.asarray(y, np.float32), lo, hi)


class _LibM:
    """The C library's tanhf and expm1f (what TFLite Micro's std::tanh /
    std::expm1 on float call), element by element: the C kernels' odl_tanhf /
    odl_expm1f equal glibc's on every float."""

    def __init__(self) -> None:
        lib = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
        for name in ("tanhf", "expm1f"):
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_float]
        self.tanhf = np.vectorize(lambda v: lib.tanhf(float(v)), otypes=[np.float32])
        self.expm1f = np.vectorize(lambda v: lib.expm1f(float(v)), otypes=[np.float32])


_libm: _LibM | None = None


def libm() -> _LibM:
    global _libm
    if _libm is None:
        _libm = _LibM()
    return _libm


def _ref_logistic(low: Lowered, xs: list) -> np.ndarray:
    x = xs[0]
    one = np.float32(1)
    with np.errstate(over="ignore"):
        mid = one / (one + f32_expf.expf(-x))
    y = np.where(x > np.float32(16.619047164916992188), one, np.where(x < np.float32(-9), f32_expf.expf(x), mid))
    return y.astype(np.float32)


def _lower_softmax(g: Graph, op: Op) -> Lowered:
    shape = g.tensors[op.inputs[0]].shape
    depth = int(shape[-1]) if shape else 1
    outer = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
    beta = float(np.float32(op.attrs.get("beta", 1.0)))
    return Lowered(inputs=[op.inputs[0]], params=[SOFTMAX, float_bits(beta), outer, depth])


def _ref_softmax(low: Lowered, xs: list) -> np.ndarray:
    _, beta_bits, outer, depth = low.params
    beta = float_from_bits(beta_bits)
    x = xs[0].reshape(outer, depth)
    mx = np.full(outer, np.finfo(np.float32).min, np.float32)
    for c in range(depth):
        mx = np.where(mx < x[:, c], x[:, c], mx)
    e = f32_expf.expf((x - mx[:, None]) * beta)
    total = np.zeros(outer, np.float32)
    for c in range(depth):  # sequential float32 sum, as the reference loop
        total = (total + e[:, c]).astype(np.float32)
    return (e / total[:, None]).astype(np.float32)


def _lower_reduce(mode: int):
    def lower(g: Graph, op: Op) -> Lowered:
        from pytool.ops.mean import resolved_axes

        shape = g.tensors[op.inputs[0]].shape
        dims = _pad4(shape, op)
        lead = 4 - len(shape)
        mask = sum(1 << (a + lead) for a in resolved_axes(g, op))
        return Lowered(inputs=[op.inputs[0]], params=[MEAN, *dims, mask, mode])
    return lower


def _lower_compare(g: Graph, op: Op) -> Lowered:
    low = _lower_binary(COMPARE, False)(g, op)
    low.params[1:3] = [COMPARISONS.index(op.type)]
    return low


def _ref_compare(low: Lowered, xs: list) -> np.ndarray:
    fn = (np.equal, np.not_equal, np.greater, np.greater_equal, np.less, np.less_equal)[low.params[1]]
    return fn(*np.broadcast_arrays(xs[0], xs[1]))


def _lower_arg(g: Graph, op: Op) -> Lowered:
    from pytool.ops.arg_max import _view

    y = g.tensors[op.outputs[0]].dtype
    if y not in ("int32", "int64"):
        raise IRError(f"{op.type} '{op.name}': output is {y}; int32 or int64 expected")
    _, outer, axis, inner = _view(g, op)
    return Lowered(inputs=[op.inputs[0]], params=[ARG, int(op.type == "ARG_MIN"), outer, axis, inner,
                                                  int(y == "int64")])


def _ref_arg(low: Lowered, xs: list) -> np.ndarray:
    is_min, outer, axis, inner = low.params[1:5]
    x = xs[0].reshape(outer, axis, inner)
    best, idx = x[:, 0, :].copy(), np.zeros((outer, inner), np.int64)
    for i in range(1, axis):  # strictly better only: the first extreme stays
        v = x[:, i, :]
        better = v < best if is_min else v > best
        best, idx = np.where(better, v, best), np.where(better, i, idx)
    return idx


def _lower_add_n(g: Graph, op: Op) -> Lowered:
    shape = g.tensors[op.outputs[0]].shape
    if len(op.inputs) > 16:
        raise IRError(f"ADD_N '{op.name}': {len(op.inputs)} inputs; the float32 kernel takes up to 16")
    for n in op.inputs:
        if g.tensors[n].shape != shape:
            raise IRError(f"ADD_N '{op.name}': input '{n}' {g.tensors[n].shape} differs from the output {shape}")
    return Lowered(inputs=list(op.inputs), params=[ADD_N])


def _ref_add_n(low: Lowered, xs: list) -> np.ndarray:
    total = np.zeros_like(xs[0])
    for x in xs:
        total = (total + x).astype(np.float32)
    return total


def _lower_cumsum(g: Graph, op: Op) -> Lowered:
    from pytool.ops.cumsum import _axis

    shape = g.tensors[op.inputs[0]].shape
    a = _axis(g, op)
    pre, post = int(np.prod(shape[:a], dtype=np.int64)), int(np.prod(shape[a + 1:], dtype=np.int64))
    flags = [int(bool(op.attrs.get("exclusive"))), int(bool(op.attrs.get("reverse")))]
    return Lowered(inputs=[op.inputs[0]], params=[CUMSUM, pre, int(shape[a]), post, *flags])


def _ref_cumsum(low: Lowered, xs: list) -> np.ndarray:
    outer, axis, inner, exclusive, reverse = low.params[1:6]
    x = xs[0].reshape(outer, axis, inner)
    y = np.empty_like(x)
    acc = np.zeros((outer, inner), np.float32)
    for i in range(axis):
        k = axis - 1 - i if reverse else i
        if exclusive:
            y[:, k] = acc
            acc = (acc + x[:, k]).astype(np.float32)
        else:
            acc = (acc + x[:, k]).astype(np.float32)
            y[:, k] = acc
    return y


def _lower_l2(g: Graph, op: Op) -> Lowered:
    low = _lower_softmax(g, op)
    return Lowered(inputs=low.inputs, params=[L2_NORM, *low.params[2:]])


def _ref_l2(low: Lowered, xs: list) -> np.ndarray:
    outer, depth = low.params[1:3]
    x = xs[0].reshape(outer, depth)
    ss = np.zeros(outer, np.float32)
    for c in range(depth):
        ss = (ss + (x[:, c] * x[:, c]).astype(np.float32)).astype(np.float32)
    norm = np.sqrt(ss).astype(np.float32)
    eps = np.float32(1e-6)
    norm = np.where(norm < eps, eps, norm)
    return (x / norm[:, None]).astype(np.float32)


def _ref_mean(low: Lowered, xs: list) -> np.ndarray:
    dims, mask, mode = low.params[1:5], low.params[5], low.params[6]
    x = xs[0].reshape(dims)
    red = [i for i in range(4) if mask >> i & 1]
    keep = [i for i in range(4) if not mask >> i & 1]
    xt = np.transpose(x, keep + red).reshape([dims[i] for i in keep] + [-1])
    f32max = np.finfo(np.float32).max
    total = np.full(xt.shape[:-1], {REDUCE_MAX: -f32max, REDUCE_MIN: f32max}.get(mode, 0), np.float32)
    for k in range(xt.shape[-1]):  # row-major input order, as ReduceSumImpl / ReduceGeneric
        v = xt[..., k]
        if mode == REDUCE_MAX:
            total = np.where(v > total, v, total)
        elif mode == REDUCE_MIN:
            total = np.where(v < total, v, total)
        else:
            total = (total + v).astype(np.float32)
    if mode != REDUCE_MEAN:
        return total.astype(np.float32)
    return (total / np.float32(xt.shape[-1])).astype(np.float32)


def _lower_leaky(g: Graph, op: Op) -> Lowered:
    return Lowered(inputs=[op.inputs[0]], params=[LEAKY_RELU, float_bits(float(op.attrs.get("alpha", 0.2)))])


def _ref_unary(low: Lowered, xs: list) -> np.ndarray:
    kind, x = low.params[0], xs[0]
    with np.errstate(all="ignore"):
        if kind == LEAKY_RELU:
            return np.where(x > 0, x, (x * float_from_bits(low.params[1])).astype(np.float32))
        if kind == HARD_SWISH:  # in * min(6, max(0, in + 3)) / 6
            t = (x + np.float32(3)).astype(np.float32)
            m = np.where(np.float32(0) < t, t, np.float32(0))
            c = np.where(m < np.float32(6), m, np.float32(6))
            return ((x * c).astype(np.float32) / np.float32(6)).astype(np.float32)
        if kind == ABS:
            return np.abs(x)
        return (np.float32(1) / np.sqrt(x)).astype(np.float32)  # RSQRT: sqrt is exact-rounded everywhere


def _lower_unary(kind: int, lo: float | None = None, hi: float | None = None):
    def lower(g: Graph, op: Op) -> Lowered:
        params = [kind] if lo is None else [kind, float_bits(lo), float_bits(hi)]
        return Lowered(inputs=[op.inputs[0]], params=params)
    return lower


LOWER: dict[str, Callable[[Graph, Op], Lowered]] = {
    "ADD": _lower_binary(ADD), "SUB": _lower_binary(SUB), "MUL": _lower_binary(MUL),
    "LOGISTIC": _lower_unary(LOGISTIC), "TANH": _lower_unary(TANH),
    "RELU": _lower_unary(CLAMP, 0.0, float("inf")),  # ReluFloat has no upper clamp
    "RELU6": _lower_unary(CLAMP, 0.0, 6.0),
    "SOFTMAX": _lower_softmax, "MEAN": _lower_reduce(REDUCE_MEAN), "SUM": _lower_reduce(REDUCE_SUM),
    "REDUCE_MAX": _lower_reduce(REDUCE_MAX), "REDUCE_MIN": _lower_reduce(REDUCE_MIN),
    "MAXIMUM": _lower_binary(MAXIMUM, False), "MINIMUM": _lower_binary(MINIMUM, False), "DIV": _lower_binary(DIV),
    "SQUARED_DIFFERENCE": _lower_binary(SQUARED_DIFFERENCE, False), "PRELU": _lower_binary(PRELU, False),
    "LEAKY_RELU": _lower_leaky, "HARD_SWISH": _lower_unary(HARD_SWISH), "ABS": _lower_unary(ABS),
    "RSQRT": _lower_unary(RSQRT), "L2_NORMALIZATION": _lower_l2, "ARG_MAX": _lower_arg, "ARG_MIN": _lower_arg,
    **dict.fromkeys(COMPARISONS, _lower_compare),
    "ELU": _lower_unary(ELU), "ADD_N": _lower_add_n, "CUMSUM": _lower_cumsum,
}
REF: dict[int, Callable[[Lowered, list], np.ndarray]] = {
    LOGISTIC: _ref_logistic, TANH: lambda low, xs: libm().tanhf(xs[0]),
    CLAMP: lambda low, xs: clamp(xs[0], low.params[1], low.params[2]),
    SOFTMAX: _ref_softmax, MEAN: _ref_mean, L2_NORM: _ref_l2, COMPARE: _ref_compare, ARG: _ref_arg,
    ELU: lambda low, xs: np.where(xs[0] < 0, libm().expm1f(xs[0]), xs[0]).astype(np.float32),
    ADD_N: _ref_add_n, CUMSUM: _ref_cumsum,
    **dict.fromkeys(BINARY, _ref_binary), **dict.fromkeys((LEAKY_RELU, HARD_SWISH, ABS, RSQRT), _ref_unary),
}
