"""BATCH_MATMUL. IR: inputs [lhs, rhs] (ranks 2..5, batch dims broadcast),
attrs {adj_x, adj_y}; y = lhs' @ rhs' with ' a transpose of the last two axes
where adj is set.

C (int8, or int16 with zero points 0, as TFLite Micro): inputs [lhs, rhs],
params [adj_x, adj_y, zl, zr, zy, multiplier, shift, act_min, act_max]
(multiplier from s_l * s_r / s_y as FULLY_CONNECTED; no fused activation).
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32
from pytool.ops.common import QMAX, QMIN, quant_of
from pytool.ops.conv_s16 import mbqm64
from quantize.fixedpoint import effective_scale, multiply_by_quantized_multiplier, quantize_multiplier

OPCODE = 50
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)


def _mats(g: Graph, op: Op) -> tuple[tuple, tuple]:
    a, b = (g.tensors[n].shape for n in op.inputs[:2])
    if not (2 <= len(a) <= 5 and 2 <= len(b) <= 5):
        raise IRError(f"BATCH_MATMUL '{op.name}': operand ranks {len(a)} and {len(b)} must be 2..5")
    return tuple(a), tuple(b)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    a, b = _mats(g, op)
    rows, da = (a[-1], a[-2]) if op.attrs.get("adj_x") else (a[-2], a[-1])
    db, cols = (b[-1], b[-2]) if op.attrs.get("adj_y") else (b[-2], b[-1])
    if da != db:
        raise IRError(f"BATCH_MATMUL '{op.name}': inner dimensions {da} and {db} differ")
    try:
        batch = np.broadcast_shapes(a[:-2], b[:-2])
    except ValueError:
        raise IRError(f"BATCH_MATMUL '{op.name}': batch dims {list(a[:-2])} and {list(b[:-2])} do not broadcast") from None
    return [(*batch, rows, cols)]


def macs(g: Graph, op: Op) -> int:
    a, _ = _mats(g, op)
    y = infer_shapes(g, op)[0]
    return int(np.prod(y)) * int(a[-2] if op.attrs.get("adj_x") else a[-1])


def _operands(op: Op, xs: list, dtype) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(xs[0], dtype), np.asarray(xs[1], dtype)
    if op.attrs.get("adj_x"):
        a = np.swapaxes(a, -1, -2)
    if op.attrs.get("adj_y"):
        b = np.swapaxes(b, -1, -2)
    return a, b


def ref_float(g: Graph, op: Op, xs: list) -> list:
    a, b = _operands(op, xs, np.float32)
    return [np.matmul(a, b).astype(np.float32)]


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    names = [op.inputs[0], op.inputs[1], op.outputs[0]]
    dts = {g.tensors[n].dtype for n in names}
    if len(dts) != 1 or not dts <= set(TYPES):
        raise IRError(f"BATCH_MATMUL '{op.name}': tensors {names} are {sorted(dts)}; all int8 or all int16 expected")
    dt = dts.pop()
    qs = [quant_of(g, n, op) for n in names]
    if any(q.per_channel for q in qs):
        raise IRError(f"BATCH_MATMUL '{op.name}': per-channel quantization is not supported (TFLite Micro reads "
                      "one scale per tensor)")
    zps = [int(q.zero_point[0]) for q in qs]
    if dt == "int16" and any(zps):
        raise IRError(f"BATCH_MATMUL '{op.name}': int16 zero points {zps} must be 0 (TFLite Micro)")
    m, s = quantize_multiplier(effective_scale(float(qs[0].scale[0]), float(qs[1].scale[0]), float(qs[2].scale[0])))
    adj = [int(bool(op.attrs.get("adj_x"))), int(bool(op.attrs.get("adj_y")))]
    return Lowered(inputs=names[:2], params=[*adj, *zps, m, s, QMIN[dt], QMAX[dt]])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    _, _, zl, zr, zy, m, s, lo, hi = low.params
    a, b = _operands(op, xs, np.int64)
    acc = np.matmul(a - zl, b - zr)
    y_t = g.tensors[op.outputs[0]]
    if y_t.dtype == "int16":
        y = mbqm64(acc, m, s)
    else:
        acc = ((acc + 2**31) % 2**32) - 2**31  # int32 accumulator
        y = multiply_by_quantized_multiplier(acc, m, s)
    return [np.clip(y + zy, lo, hi).astype(y_t.np_dtype).reshape(y_t.shape)]
