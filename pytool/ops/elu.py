"""ELU. IR: inputs [x], attrs {}; y = x < 0 ? exp(x) - 1 : x.

C (int8, as TFLite Micro): a 256-entry lookup (C op LUT_S8, inputs [x,
table]). The table is TFLite Micro's PopulateLookupTable in float32: for each
int8 v, s_x (v - z_x) -> expf(.) - 1 below zero -> round(. * (1 / s_y)) + z_y,
clamped (expf from the C library through ctypes, as softmax_s16 does).
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32
from pytool.ops.softmax_s16 import _expf, _roundf
from pytool.ops.unary_common import io_dtype, no_macs, per_tensor, same_shape

OPCODE = 58
TYPES = ("int8",)  # TFLite Micro's ELU takes float32 and int8
infer_shapes, macs = same_shape, no_macs
F = np.float32


def ref_float(g: Graph, op: Op, xs: list) -> list:
    x = np.asarray(xs[0], np.float32)
    return [np.where(x < 0, np.expm1(np.minimum(x, 0)), x).astype(np.float32)]


def table(s_x: float, z_x: int, s_y: float, z_y: int) -> np.ndarray:
    expf = _expf()
    inv = F(F(1) / F(s_y))
    out = np.zeros(256, np.int8)
    for v in range(-128, 128):
        d = F(F(s_x) * F(v - z_x))
        t = F(expf(d) - F(1)) if d < 0 else d
        q = int(F(_roundf(F(t * inv)) + F(z_y)))
        out[v & 0xFF] = min(max(q, -128), 127)
    return out


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    if io_dtype(g, op, ("int8", "int16")) != "int8":
        raise IRError(f"ELU '{op.name}': int16; TFLite Micro's ELU takes int8 only")
    qx, qy = per_tensor(g, op, op.inputs[0]), per_tensor(g, op, op.outputs[0])
    lut = table(float(qx.scale[0]), int(qx.zero_point[0]), float(qy.scale[0]), int(qy.zero_point[0]))
    return Lowered(inputs=[op.inputs[0], lut], params=[])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    lut = np.asarray(xs[1], np.int8)
    return [lut[np.asarray(xs[0], np.int8).astype(np.uint8)]]
