"""SUB. IR: inputs [a, b] (broadcasting as ADD), attrs {activation}.

C (int8 or int16): ADD's 12 params (TFLite Micro's sub Prepare computes them
as AddPrepare does); the kernel subtracts the rescaled inputs.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, Op
from pytool.ops import Lowered, arith_i32, f32
from pytool.ops import add as _add
from pytool.ops.common import activation_float
from quantize.fixedpoint import multiply_by_quantized_multiplier

OPCODE = 23
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)
infer_shapes = _add.infer_shapes
macs = _add.macs


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    if (low32 := arith_i32.maybe_lower(g, op)) is not None:
        return low32
    return _add.lower_scaled(g, op)


def ref_float(g: Graph, op: Op, xs: list) -> list:
    y = np.asarray(xs[0], np.float32) - np.asarray(xs[1], np.float32)
    return [activation_float(y, op.attrs.get("activation", "NONE")).astype(np.float32)]


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    if low.opcode == arith_i32.OPCODE:
        return arith_i32.ref(g, op, low, xs)
    off1, off2, off_y, left, m1, s1, m2, s2, mo, so, lo, hi = low.params
    a, b = np.broadcast_arrays(np.asarray(xs[0], np.int64), np.asarray(xs[1], np.int64))
    a_scaled = multiply_by_quantized_multiplier((a + off1) << left, m1, s1)
    b_scaled = multiply_by_quantized_multiplier((b + off2) << left, m2, s2)
    raw = multiply_by_quantized_multiplier(a_scaled - b_scaled, mo, so) + off_y
    return [np.clip(raw, lo, hi).astype(g.tensors[op.outputs[0]].np_dtype)]
