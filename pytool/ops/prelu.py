"""PRELU. IR: inputs [x, alpha (broadcasts against x)], attrs {}.

C (int8): inputs [x, alpha]; params (TFLite Micro's PreluPrepare):
  [0] -zx  [1] -za  [2] zy  [3] [4] s_x / s_y  [5] [6] s_x s_a / s_y
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32
from pytool.ops.add import broadcast_shape
from pytool.ops.unary_common import per_tensor
from quantize.fixedpoint import multiply_by_quantized_multiplier, quantize_multiplier

OPCODE = 36
TYPES = ("int8",)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [broadcast_shape(op, g.tensors[op.inputs[0]].shape, g.tensors[op.inputs[1]].shape)]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    x, a = np.asarray(xs[0], np.float32), np.asarray(xs[1], np.float32)
    return [np.where(x >= 0, x, x * a).astype(np.float32)]


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    x, a, y = op.inputs[0], op.inputs[1], op.outputs[0]
    for n in (x, a, y):
        if g.tensors[n].dtype != "int8":
            raise IRError(f"PRELU '{op.name}': tensor '{n}' is {g.tensors[n].dtype}, int8 expected")
    qx, qa, qy = per_tensor(g, op, x), per_tensor(g, op, a), per_tensor(g, op, y)
    sx, sa, sy = (float(np.float32(q.scale[0])) for q in (qx, qa, qy))
    m1, s1 = quantize_multiplier(sx / sy)
    m2, s2 = quantize_multiplier(sx * sa / sy)
    return Lowered(inputs=[x, a], params=[-int(qx.zero_point[0]), -int(qa.zero_point[0]), int(qy.zero_point[0]),
                                          m1, s1, m2, s2])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    ox, oa, oy, m1, s1, m2, s2 = low.params
    x, a = np.broadcast_arrays(np.asarray(xs[0], np.int64) + ox, np.asarray(xs[1], np.int64) + oa)
    y = np.where(x >= 0, multiply_by_quantized_multiplier(x, m1, s1), multiply_by_quantized_multiplier(x * a, m2, s2))
    return [np.clip(y + oy, -128, 127).astype(np.int8)]
