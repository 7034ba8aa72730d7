"""NEG, SQUARE, FLOOR, CEIL, ROUND, SQRT, EXP, LOG, SIN, COS, FLOOR_DIV, FLOOR_MOD: ops that
TFLite Micro runs on float32 only (FLOOR_DIV / FLOOR_MOD also on int32).
IR: inputs [x] or [a, b] (broadcasting as ADD), attrs {}.

They lower to the F32 C op (pytool/ops/f32.py) with params [kind] for the
unary ones and the binary layout for FLOOR_DIV / FLOOR_MOD (no activation);
int32 FLOOR_DIV / FLOOR_MOD lower to ARITH_I32 (pytool/ops/arith_i32.py).
Every result is exact in IEEE arithmetic (floor, ceil, sqrt, fmod, one
product or negation), except EXP, LOG, SIN and COS, which are odl_expf,
odl_logf, odl_sinf and odl_cosf (glibc's expf, logf, sinf, cosf on every target). ROUND is TFLite's RoundToNearest: floor, then up when the rest is
above 0.5, or exactly 0.5 with an odd floor. FLOOR_DIV divides in double and
floors (TFLite's FloorDiv); FLOOR_MOD is fmod, plus the divisor when the
signs differ.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, arith_i32, f32, f32_expf, f32_logf, f32_sincosf
from pytool.ops import add as _add

OPCODE = f32.OPCODE
TYPES = ("float32",)
NEG, SQUARE, FLOOR, CEIL, ROUND, SQRT, EXP, FLOOR_DIV, FLOOR_MOD = range(32, 41)
LOG_SOFTMAX, LOG, SIN, COS = 42, 43, 44, 45  # 41: L2_POOL (f32_conv.py)
UNARY = {"NEG": NEG, "SQUARE": SQUARE, "FLOOR": FLOOR, "CEIL": CEIL, "ROUND": ROUND, "SQRT": SQRT, "EXP": EXP, "LOG": LOG,
         "SIN": SIN, "COS": COS}
BINARY = {"FLOOR_DIV": FLOOR_DIV, "FLOOR_MOD": FLOOR_MOD}


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return _add.infer_shapes(g, op) if op.type in BINARY else [g.tensors[op.inputs[0]].shape]


def macs(g: Graph, op: Op) -> int:
    return 0


def round_half_even(x: np.ndarray) -> np.ndarray:
    """TFLite's RoundToNearest (x - floor(x) compared with 0.5; keeps its signed zeros)."""
    x = np.asarray(x, np.float32)
    f = np.floor(x)
    d = (x - f).astype(np.float32)
    with np.errstate(invalid="ignore"):
        even = np.where(np.abs(f) < 2**31, np.fmod(f, 2) == 0, True)
    return np.where((d < 0.5) | ((d == 0.5) & even), f, (f + np.float32(1)).astype(np.float32)).astype(np.float32)


def floor_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.floor(np.asarray(a, np.float64) / np.asarray(b, np.float64)).astype(np.float32)


def floor_mod(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.broadcast_arrays(np.asarray(a, np.float32), np.asarray(b, np.float32))
    with np.errstate(all="ignore"):
        t = np.fmod(a, b)
        return np.where((t != 0) & ((b < 0) != (t < 0)), (t + b).astype(np.float32), t).astype(np.float32)


def _unary(kind: int, x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        if kind == NEG:
            return -x
        if kind == SQUARE:
            return (x * x).astype(np.float32)
        if kind == FLOOR:
            return np.floor(x)
        if kind == CEIL:
            return np.ceil(x)
        if kind == ROUND:
            return round_half_even(x)
        if kind == SQRT:
            return np.sqrt(x).astype(np.float32)
        if kind == LOG:
            return f32_logf.logf(x)
        if kind in (SIN, COS):
            return (f32_sincosf.sinf if kind == SIN else f32_sincosf.cosf)(x)
        return f32_expf.expf(x)


def ref_float(g: Graph, op: Op, xs: list) -> list:
    if op.type in BINARY:
        fn = floor_div if op.type == "FLOOR_DIV" else floor_mod
        return [fn(*np.broadcast_arrays(np.asarray(xs[0], np.float32), np.asarray(xs[1], np.float32)))]
    return [_unary(UNARY[op.type], np.asarray(xs[0], np.float32))]


def lower(g: Graph, op: Op) -> Lowered:
    if (low := f32.maybe_lower(g, op)) is not None:
        return low
    if op.type in BINARY and (low := arith_i32.maybe_lower(g, op)) is not None:
        return low
    dts = sorted({g.tensors[n].dtype for n in [*op.inputs, *op.outputs]})
    raise IRError(f"{op.type} '{op.name}': tensors are {', '.join(dts)}; the kernel takes float32"
                  f"{' or int32' if op.type in BINARY else ''} (as TFLite Micro)")


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == arith_i32.OPCODE:
        return arith_i32.ref(g, op, low, xs)
    return f32.ref(g, op, low, xs)


def _lower_unary(g: Graph, op: Op) -> Lowered:
    return Lowered(inputs=[op.inputs[0]], params=[UNARY[op.type]])


def _lower_binary(g: Graph, op: Op) -> Lowered:
    return f32._lower_binary(BINARY[op.type], False)(g, op)


def _lower_log_softmax(g: Graph, op: Op) -> Lowered:
    low = f32._lower_softmax(g, op)
    return Lowered(inputs=low.inputs, params=[LOG_SOFTMAX, *low.params[2:]])


def log_softmax(x: np.ndarray) -> np.ndarray:
    """TFLite's float LogSoftmax on rows: x - max - logf(sum of expf(x - max)),
    the sum in order; expf / logf are odl_expf's and odl_logf's twins."""
    mx = np.full(x.shape[0], np.finfo(np.float32).min, np.float32)
    for c in range(x.shape[1]):
        mx = np.where(mx < x[:, c], x[:, c], mx)
    d = (x - mx[:, None]).astype(np.float32)
    e = f32_expf.expf(d)
    total = np.zeros(x.shape[0], np.float32)
    for c in range(x.shape[1]):
        total = (total + e[:, c]).astype(np.float32)
    return (d - f32_logf.logf(total)[:, None]).astype(np.float32)


def _ref_binary(low: Lowered, xs: list) -> np.ndarray:
    a, b = np.broadcast_arrays(xs[0], xs[1])
    return (floor_div if low.params[0] == FLOOR_DIV else floor_mod)(a, b)


LOWER: dict[str, Callable[[Graph, Op], Lowered]] = {**dict.fromkeys(UNARY, _lower_unary),
                                                    **dict.fromkeys(BINARY, _lower_binary),
                                                    "LOG_SOFTMAX": _lower_log_softmax}
REF: dict[int, Callable[[Lowered, list], np.ndarray]] = {
    **{k: (lambda low, xs: _unary(low.params[0], xs[0])) for k in UNARY.values()},
    **dict.fromkeys(BINARY.values(), _ref_binary),
    LOG_SOFTMAX: lambda low, xs: log_softmax(xs[0].reshape(low.params[1], low.params[2]))}
