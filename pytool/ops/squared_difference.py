"""SQUARED_DIFFERENCE. IR: inputs [a, b] (broadcasting as ADD), attrs {}.

C (int8, or int16 with zero points 0): ADD's 12 params as TFLite Micro's
squared_difference Prepare computes them: left shift 7 (int8) or 0 (int16),
the inputs rescaled to 1 / (2 max(s_a, s_b)), the output multiplier
(2 max)^2 / (2^(2 left_shift) s_y) by QuantizeMultiplier (it may exceed one).
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, arith_i32, f32
from pytool.ops import add as _add
from pytool.ops.common import QMAX, QMIN, quant_of
from quantize.fixedpoint import multiply_by_quantized_multiplier, quantize_multiplier

OPCODE = 51
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)
infer_shapes = _add.infer_shapes
macs = _add.macs


def ref_float(g: Graph, op: Op, xs: list) -> list:
    d = np.asarray(xs[0], np.float32) - np.asarray(xs[1], np.float32)
    return [(d * d).astype(np.float32)]


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    if (low32 := arith_i32.maybe_lower(g, op)) is not None:
        return low32
    names = [op.inputs[0], op.inputs[1], op.outputs[0]]
    dts = {g.tensors[n].dtype for n in names}
    if len(dts) != 1 or not dts <= set(TYPES):
        raise IRError(f"SQUARED_DIFFERENCE '{op.name}': tensors {names} are {sorted(dts)}; all int8 or all int16 "
                      "expected")
    dt = dts.pop()
    qa, qb, qy = (quant_of(g, n, op) for n in names)
    if any(q.per_channel for q in (qa, qb, qy)):
        raise IRError(f"SQUARED_DIFFERENCE '{op.name}': only per-tensor quantization is supported")
    zps = [int(q.zero_point[0]) for q in (qa, qb, qy)]
    if dt == "int16" and any(zps):
        raise IRError(f"SQUARED_DIFFERENCE '{op.name}': int16 zero points {zps} must be 0 (TFLite Micro)")
    left = 7 if dt == "int8" else 0
    sa, sb, sy = (float(np.float32(q.scale[0])) for q in (qa, qb, qy))
    twice_max = 2.0 * max(sa, sb)
    m1, s1 = _add.smaller_than_one(op, "input 1", sa / twice_max)
    m2, s2 = _add.smaller_than_one(op, "input 2", sb / twice_max)
    mo, so = quantize_multiplier(twice_max * twice_max / float(np.float32((1 << 2 * left) * np.float32(sy))))
    return Lowered(inputs=names[:2], params=[-zps[0], -zps[1], zps[2], left, m1, s1, m2, s2, mo, so, QMIN[dt],
                                             QMAX[dt]])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    if low.opcode == arith_i32.OPCODE:
        return arith_i32.ref(g, op, low, xs)
    off1, off2, off_y, left, m1, s1, m2, s2, mo, so, lo, hi = low.params
    a, b = np.broadcast_arrays(np.asarray(xs[0], np.int64), np.asarray(xs[1], np.int64))
    d = (multiply_by_quantized_multiplier((a + off1) << left, m1, s1)
         - multiply_by_quantized_multiplier((b + off2) << left, m2, s2))
    sq = ((d * d + 2**31) % 2**32) - 2**31  # int32 product
    raw = multiply_by_quantized_multiplier(sq, mo, so) + off_y
    return [np.clip(raw, lo, hi).astype(g.tensors[op.outputs[0]].np_dtype)]
