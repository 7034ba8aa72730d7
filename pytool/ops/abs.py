"""ABS. IR: inputs [x], attrs {}.

C (int8, int16): inputs [x]; params [zx, zy, rescale, multiplier, shift]
(TFLite Micro's elementwise Prepare: rescale by s_x / s_y, computed in float32,
only when the scales differ; int16 needs zero points 0).
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32
from pytool.ops.unary_common import clip, io_dtype, per_tensor
from quantize.fixedpoint import multiply_by_quantized_multiplier, quantize_multiplier

OPCODE = 46
TYPES = ("int8", "int16")


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [g.tensors[op.inputs[0]].shape]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return [np.abs(np.asarray(xs[0], np.float32))]


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    dt = io_dtype(g, op, ("int8", "int16"))
    qx, qy = per_tensor(g, op, op.inputs[0]), per_tensor(g, op, op.outputs[0])
    zx, zy = int(qx.zero_point[0]), int(qy.zero_point[0])
    if dt == "int16" and (zx or zy):
        raise IRError(f"ABS '{op.name}': int16 needs zero points 0 (TFLite Micro)")
    sx, sy = np.float32(qx.scale[0]), np.float32(qy.scale[0])
    rescale = bool(sx != sy)
    m, s = quantize_multiplier(float(np.float32(sx / sy))) if rescale else (0, 0)
    return Lowered(inputs=[op.inputs[0]], params=[zx, zy, int(rescale), m, s])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    zx, zy, rescale, m, s = low.params
    v = np.abs(np.asarray(xs[0], np.int64) - zx)
    y = (multiply_by_quantized_multiplier(v, m, s) if rescale else v) + zy
    return [clip(y, g.tensors[op.outputs[0]].dtype)]
