"""LOGISTIC. IR: inputs [x], attrs {}.

C (int8, output zero point -128, scale 1/256): inputs [x], params
(TFLite Micro's CalculateArithmeticOpDataLogistic, input in Q4.27):
  [0] input zero point  [1] input_range_radius (CalculateInputRadius(4, shift, 31))
  [2] input_multiplier  [3] input_left_shift   (frexp of s_x * 2^27)
"""

from __future__ import annotations

import math

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32, sigmoid_s16
from pytool.ops.common import quant_of
from pytool.ops.softmax import (
    INT32_MAX,
    calculate_input_radius,
    exp_on_negative_values,
    one_over_one_plus_x_for_x_in_0_1,
    wrap32,
)
from quantize.fixedpoint import multiply_by_quantized_multiplier, rounding_divide_by_pot, tflite_round

OPCODE = 13
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)
INPUT_INTEGER_BITS = 4


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [g.tensors[op.inputs[0]].shape]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    x = np.asarray(xs[0], np.float32).astype(np.float64)
    return [(0.5 * (1.0 + np.tanh(0.5 * x))).astype(np.float32)]  # no exp overflow


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    x, y = op.inputs[0], op.outputs[0]
    if g.tensors[x].dtype == "int16" and g.tensors[y].dtype == "int16":
        return sigmoid_s16.lower(g, op, tanh=False)
    for n in (x, y):
        if g.tensors[n].dtype != "int8":
            raise IRError(f"LOGISTIC '{op.name}': tensor '{n}' is {g.tensors[n].dtype}; the int8 kernel needs int8")
    qx, qy = quant_of(g, x, op), quant_of(g, y, op)
    if int(qy.zero_point[0]) != -128:
        raise IRError(f"LOGISTIC '{op.name}': output '{y}' must have zero point -128, got {int(qy.zero_point[0])}")
    real = float(np.float32(qx.scale[0])) * float(1 << (31 - INPUT_INTEGER_BITS))
    q, left_shift = math.frexp(real)
    if left_shift < 0:
        raise IRError(f"LOGISTIC '{op.name}': input scale {float(qx.scale[0])} is too small (needs >= 2^-28)")
    multiplier = tflite_round(q * (1 << 31))
    radius = calculate_input_radius(INPUT_INTEGER_BITS, left_shift)
    return Lowered(inputs=[x], params=[int(qx.zero_point[0]), radius, multiplier, left_shift])


def fixed_logistic(a: np.ndarray, integer_bits: int) -> np.ndarray:
    a = np.asarray(a, np.int64)
    abs_a = np.where(a > 0, a, wrap32(-a))
    positive = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(wrap32(-abs_a), integer_bits))
    result = np.where(a > 0, positive, wrap32(INT32_MAX - positive))
    return np.where(a == 0, 1 << 30, result)


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    if low.opcode == sigmoid_s16.LOGISTIC_S16:
        return [sigmoid_s16.ref(xs[0], low.params, tanh=False)]
    zp, radius, multiplier, left_shift = low.params
    x = np.asarray(xs[0], np.int64) - zp
    inner = np.clip(x, -radius + 1, radius - 1)  # out-of-radius lanes are overwritten below
    y = rounding_divide_by_pot(fixed_logistic(multiply_by_quantized_multiplier(inner, multiplier, left_shift),
                                              INPUT_INTEGER_BITS), 31 - 8) - 128
    y = np.clip(y, -128, 127)
    y = np.where(x <= -radius, -128, np.where(x >= radius, 127, y))
    return [y.astype(np.int8)]
