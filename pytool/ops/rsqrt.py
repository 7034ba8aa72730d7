"""RSQRT. IR: inputs [x], attrs {}.

C (int8, int16 with zero points 0): inputs [x]; params [zx, zy, multiplier,
shift] with multiplier/shift = QuantizeMultiplier(1 / (sqrt(s_x) s_y)) (double),
as TFLite Micro's elementwise Prepare. Per element its RsqrtEvalQuantized:
v = x - zx; v == 0 -> the type's maximum; else 1/sqrt(v) by
GetInvSqrtQuantizedMultiplierExp applied to 1 with 20 extra bits, then the
output multiplier. The numpy twins of the inverse square root live here
(L2_NORMALIZATION uses them too).
"""

from __future__ import annotations

import math

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32
from pytool.ops.common import QMAX, QMIN
from pytool.ops.softmax import INT32_MAX, mul_pot, srdhm, wrap32
from pytool.ops.unary_common import clip, io_dtype, no_macs, per_tensor, same_shape
from quantize.fixedpoint import multiply_by_quantized_multiplier, quantize_multiplier

OPCODE = 52
TYPES = ("int8", "int16")
infer_shapes, macs = same_shape, no_macs


def inv_sqrt_exp(v, reverse_shift: int) -> tuple[np.ndarray, np.ndarray]:
    """GetInvSqrtQuantizedMultiplierExp, element-wise on int32 inputs."""
    v = np.asarray(v, np.int64)
    small = v <= 1
    x_in = np.where(small, 2, v)
    big = x_in >= 1 << 29  # one division by 4 brings any int32 below 2^29
    x_in = np.where(big, x_in // 4, x_in)
    s = 11 + big.astype(np.int64)
    clz = 32 - np.frexp(x_in.astype(np.float64))[1].astype(np.int64)
    pairs = (clz - 1) // 2 - 1
    s = s - pairs
    x_in = x_in << (2 * pairs)
    half_input = mul_pot(x_in >> 1, -1)
    half_three = (1 << 28) + (1 << 27)
    x = np.full(v.shape, 1 << 28, np.int64)
    for _ in range(5):
        x3 = mul_pot(srdhm(srdhm(x, x), x), 6)
        x = mul_pot(wrap32(srdhm(half_three, x) - srdhm(half_input, x3)), 3)
    x = srdhm(x, 1518500250)
    x = np.where(s < 0, wrap32(x << np.maximum(-s, 0)), x)
    s = np.maximum(s, 0)
    return np.where(small, INT32_MAX, x), np.where(small, 0, s * reverse_shift)


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return [(np.float32(1) / np.sqrt(np.asarray(xs[0], np.float32))).astype(np.float32)]


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    dt = io_dtype(g, op, TYPES)
    qx, qy = per_tensor(g, op, op.inputs[0]), per_tensor(g, op, op.outputs[0])
    zx, zy = int(qx.zero_point[0]), int(qy.zero_point[0])
    if dt == "int16" and (zx or zy):
        raise IRError(f"RSQRT '{op.name}': int16 needs zero points 0 (TFLite Micro)")
    m, s = quantize_multiplier(1.0 / (math.sqrt(float(np.float32(qx.scale[0]))) * float(np.float32(qy.scale[0]))))
    return Lowered(inputs=[op.inputs[0]], params=[zx, zy, m, s])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    zx, zy, m, s = low.params
    dt = g.tensors[op.outputs[0]].dtype
    v = np.asarray(xs[0], np.int64) - zx
    im, ish = inv_sqrt_exp(v, -1)
    data = multiply_by_quantized_multiplier(np.ones_like(v), im, ish + 20)
    y = multiply_by_quantized_multiplier(data, m, s - 20) + zy
    return [clip(np.where(v == 0, QMAX[dt], np.clip(y, QMIN[dt], QMAX[dt])), dt)]
