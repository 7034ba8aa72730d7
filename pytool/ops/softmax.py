"""SOFTMAX over the last axis. IR: inputs [x], attrs {beta: float}.

C (int8, output scale 1/256 and zero point -128 as TFLite requires):
inputs [x], params (TFLite Micro's SoftmaxPrepare, kScaledDiffIntegerBits 5):
  [0] input_multiplier  [1] input_left_shift  (min(beta * s_x * 2^26, 2^31 - 1))
  [2] diff_min          (-CalculateInputRadius(5, input_left_shift))

This module also holds the numpy twins of the gemmlowp fixed-point
functions (runtime_c/src/kernels/int8/gemmlowp_fixedpoint.h); every array is
int64 holding int32 values.
"""

from __future__ import annotations

import math

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32, softmax_s16
from pytool.ops.common import quant_of
from quantize.fixedpoint import quantize_multiplier, rounding_divide_by_pot

OPCODE = 12
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)
SCALED_DIFF_INTEGER_BITS = 5
ACCUM_INTEGER_BITS = 12
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


# --- gemmlowp fixed point, numpy int64 ------------------------------------

def wrap32(x: np.ndarray) -> np.ndarray:
    return ((np.asarray(x, np.int64) + 2**31) % 2**32) - 2**31


def srdhm(a, b) -> np.ndarray:
    """SaturatingRoundingDoublingHighMul."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    ab = a * b
    num = ab + np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    high = np.where(num >= 0, num // 2**31, -((-num) // 2**31))
    return np.where((a == b) & (a == INT32_MIN), INT32_MAX, high)


def mul_pot(x, exponent: int) -> np.ndarray:
    """SaturatingRoundingMultiplyByPOT."""
    x = np.asarray(x, np.int64)
    if exponent < 0:
        return rounding_divide_by_pot(x, -exponent)
    if exponent == 0:
        return x
    threshold = (1 << (31 - exponent)) - 1
    return np.where(x > threshold, INT32_MAX, np.where(x < -threshold, INT32_MIN, x << exponent))


def exp_quarter_interval(a) -> np.ndarray:
    """exp(a) for a in [-1/4, 0), Q0 in and out."""
    c = 1895147668
    x = wrap32(a + (1 << 28))
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    poly = mul_pot(wrap32(srdhm(wrap32(mul_pot(x4, -2) + x3), 715827883) + x2), -1)
    return wrap32(c + srdhm(c, wrap32(x + poly)))


EXP_OF_MINUS_POT = (1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242)


def exp_on_negative_values(a, integer_bits: int) -> np.ndarray:
    a = np.asarray(a, np.int64)
    frac = 31 - integer_bits
    quarter = 1 << (frac - 2)
    a_mod = wrap32((a & (quarter - 1)) - quarter)
    result = exp_quarter_interval(mul_pot(a_mod, integer_bits))
    remainder = wrap32(a_mod - a)
    for k, mult in enumerate(EXP_OF_MINUS_POT):
        exponent = k - 2
        if integer_bits > exponent:
            bit = (remainder >> (frac + exponent)) & 1
            result = np.where(bit == 1, srdhm(result, mult), result)
    if integer_bits > 5:
        result = np.where(a < -(1 << (36 - integer_bits)), 0, result)
    return np.where(a == 0, INT32_MAX, result)


def one_over_one_plus_x_for_x_in_0_1(a) -> np.ndarray:
    a = np.asarray(a, np.int64)
    s = a + INT32_MAX
    half_denominator = np.where(s >= 0, (s + 1) // 2, -((-(s - 1)) // 2))
    x = wrap32(1515870810 + srdhm(half_denominator, -1010580540))
    for _ in range(3):
        one_minus = wrap32((1 << 29) - srdhm(half_denominator, x))
        x = wrap32(x + mul_pot(srdhm(x, one_minus), 2))
    return mul_pot(x, 1)


def reciprocal(x: int, integer_bits: int) -> tuple[int, int]:
    """GetReciprocal: (Q0 significand, bits over unit) of 1/x, x > 0."""
    headroom_plus_one = 32 - int(x).bit_length()
    shifted_minus_one = int(wrap32(((int(x) << headroom_plus_one) & 0xFFFFFFFF) - 2**31))
    return int(one_over_one_plus_x_for_x_in_0_1(shifted_minus_one)), integer_bits - headroom_plus_one


# --- the op ---------------------------------------------------------------

def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    x = g.tensors[op.inputs[0]]
    if len(x.shape) < 1:
        raise IRError(f"SOFTMAX '{op.name}': input '{x.name}' must have rank >= 1")
    return [x.shape]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    x = np.asarray(xs[0], np.float32)
    beta = np.float32(op.attrs.get("beta", 1.0))
    e = np.exp((x - x.max(axis=-1, keepdims=True)) * beta)
    return [(e / e.sum(axis=-1, keepdims=True)).astype(np.float32)]


def calculate_input_radius(integer_bits: int, left_shift: int, total_bits: int = 31) -> int:
    """TFLite CalculateInputRadius."""
    return int(math.floor(((1 << integer_bits) - 1) * (1 << (total_bits - integer_bits)) / (1 << left_shift)))


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    x, y = op.inputs[0], op.outputs[0]
    if g.tensors[x].dtype == "int16" and g.tensors[y].dtype == "int16":
        return softmax_s16.lower(g, op)
    for n in (x, y):
        if g.tensors[n].dtype != "int8":
            raise IRError(f"SOFTMAX '{op.name}': tensor '{n}' is {g.tensors[n].dtype}; the int8 kernel needs int8")
    qx, qy = quant_of(g, x, op), quant_of(g, y, op)
    if int(qy.zero_point[0]) != -128 or np.float32(qy.scale[0]) != np.float32(1.0 / 256):
        raise IRError(
            f"SOFTMAX '{op.name}': output '{y}' must have scale 1/256 and zero point -128 "
            f"(got {float(qy.scale[0])}, {int(qy.zero_point[0])})"
        )
    beta = float(np.float32(op.attrs.get("beta", 1.0)))
    real = min(beta * float(np.float32(qx.scale[0])) * (1 << (31 - SCALED_DIFF_INTEGER_BITS)), 2.0**31 - 1.0)
    if not real > 1.0:
        raise IRError(f"SOFTMAX '{op.name}': beta * input scale = {real / 2**26} is too small (needs > 2^-26)")
    m, shift = quantize_multiplier(real)
    diff_min = -calculate_input_radius(SCALED_DIFF_INTEGER_BITS, shift)
    return Lowered(inputs=[x], params=[m, shift, diff_min])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    if low.opcode == softmax_s16.SOFTMAX_S16:
        return [softmax_s16.ref(xs[0], low.params)]
    m, shift, diff_min = low.params
    x = np.asarray(xs[0], np.int64)
    depth = x.shape[-1]
    rows = x.reshape(-1, depth)
    out = np.empty(rows.shape, np.int8)
    for r, row in enumerate(rows):
        diff = row - row.max()
        valid = diff >= diff_min
        e = exp_on_negative_values(srdhm(wrap32(diff << shift), m), SCALED_DIFF_INTEGER_BITS)
        total = int(np.sum(np.where(valid, mul_pot(e, -ACCUM_INTEGER_BITS), 0)))
        scale, bits_over_unit = reciprocal(total, ACCUM_INTEGER_BITS)
        y = rounding_divide_by_pot(srdhm(scale, e), bits_over_unit + 31 - 8) - 128
        out[r] = np.where(valid, np.clip(y, -128, 127), -128)
    return [out.reshape(x.shape)]
