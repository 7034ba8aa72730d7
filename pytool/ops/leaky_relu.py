"""LEAKY_RELU. IR: inputs [x], attrs {alpha}.

C (int8 or int16): inputs [x], params (TFLite Micro's CalculateOpDataLeakyRelu):
  [0] zx  [1] zy  [2] identity multiplier  [3] identity shift  (s_x / s_y)
  [4] alpha multiplier  [5] alpha shift  (s_x * alpha / s_y, may be negative)
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, Op
from pytool.ops import Lowered, f32
from pytool.ops.unary_common import clip, io_dtype, per_tensor
from quantize.fixedpoint import multiply_by_quantized_multiplier, quantize_multiplier

OPCODE = 19
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [g.tensors[op.inputs[0]].shape]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    x = np.asarray(xs[0], np.float32)
    return [np.where(x > 0, x, x * np.float32(op.attrs.get("alpha", 0.2))).astype(np.float32)]


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    io_dtype(g, op, ("int8", "int16"))
    qx, qy = per_tensor(g, op, op.inputs[0]), per_tensor(g, op, op.outputs[0])
    sx, sy, alpha = np.float32(qx.scale[0]), np.float32(qy.scale[0]), np.float32(op.attrs.get("alpha", 0.2))
    # float32 products and quotients, then widened: as the C++ Prepare computes them.
    m_a, s_a = quantize_multiplier(float(np.float32(np.float32(sx * alpha) / sy)))
    m_i, s_i = quantize_multiplier(float(np.float32(sx / sy)))
    return Lowered(inputs=[op.inputs[0]], params=[int(qx.zero_point[0]), int(qy.zero_point[0]), m_i, s_i, m_a, s_a])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    zx, zy, m_i, s_i, m_a, s_a = low.params
    x = np.asarray(xs[0], np.int64) - zx
    y = zy + np.where(x >= 0, multiply_by_quantized_multiplier(x, m_i, s_i), multiply_by_quantized_multiplier(x, m_a, s_a))
    return [clip(y, g.tensors[op.outputs[0]].dtype)]
