"""TANH. IR: inputs [x], attrs {}.

C (int8, output zero point 0, scale 1/128): inputs [x], params as LOGISTIC's
(TFLite Micro's tanh Prepare, input in Q4.27):
  [0] zx  [1] input_range_radius  [2] input_multiplier  [3] input_left_shift
"""

from __future__ import annotations

import math

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32, sigmoid_s16
from pytool.ops.softmax import (
    INT32_MAX,
    calculate_input_radius,
    exp_on_negative_values,
    mul_pot,
    srdhm,
    wrap32,
)
from pytool.ops.unary_common import io_dtype, per_tensor
from quantize.fixedpoint import multiply_by_quantized_multiplier, rounding_divide_by_pot, tflite_round

OPCODE = 20
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)
INPUT_INTEGER_BITS = 4


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [g.tensors[op.inputs[0]].shape]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return [np.tanh(np.asarray(xs[0], np.float32)).astype(np.float32)]


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    if io_dtype(g, op, ("int8", "int16")) == "int16":
        return sigmoid_s16.lower(g, op, tanh=True)
    qx, qy = per_tensor(g, op, op.inputs[0]), per_tensor(g, op, op.outputs[0])
    if int(qy.zero_point[0]) != 0:
        raise IRError(f"TANH '{op.name}': output '{op.outputs[0]}' must have zero point 0, got {int(qy.zero_point[0])}")
    real = float(np.float32(qx.scale[0])) * float(1 << (31 - INPUT_INTEGER_BITS))
    q, left_shift = math.frexp(real)
    if left_shift < 0:
        raise IRError(f"TANH '{op.name}': input scale {float(qx.scale[0])} is too small (needs >= 2^-28)")
    radius = calculate_input_radius(INPUT_INTEGER_BITS, left_shift)
    return Lowered(inputs=[op.inputs[0]], params=[int(qx.zero_point[0]), radius, tflite_round(q * (1 << 31)), left_shift])


def one_minus_x_over_one_plus_x(a) -> np.ndarray:
    a = np.asarray(a, np.int64)
    s = a + INT32_MAX
    half_denominator = np.where(s >= 0, (s + 1) // 2, -((-(s - 1)) // 2))
    x = wrap32(1515870810 + srdhm(half_denominator, -1010580540))
    for _ in range(3):
        one_minus = wrap32((1 << 29) - srdhm(half_denominator, x))
        x = wrap32(x + mul_pot(srdhm(x, one_minus), 2))
    return mul_pot(wrap32(x - (1 << 29)), 2)


def fixed_tanh(a: np.ndarray, integer_bits: int) -> np.ndarray:
    a = np.asarray(a, np.int64)
    n = np.where(a < 0, a, wrap32(-a))
    t = one_minus_x_over_one_plus_x(exp_on_negative_values(n, integer_bits + 1))
    return np.where(a == 0, 0, np.where(a < 0, wrap32(-t), t))


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    if low.opcode == sigmoid_s16.TANH_S16:
        return [sigmoid_s16.ref(xs[0], low.params, tanh=True)]
    zp, radius, multiplier, left_shift = low.params
    x = np.asarray(xs[0], np.int64) - zp
    inner = np.clip(x, -radius + 1, radius - 1)
    y = rounding_divide_by_pot(fixed_tanh(multiply_by_quantized_multiplier(inner, multiplier, left_shift),
                                          INPUT_INTEGER_BITS), 31 - 7)
    y = np.clip(y, -128, 127)
    y = np.where(x <= -radius, -128, np.where(x >= radius, 127, y))
    return [y.astype(np.int8)]
