"""LOG_SOFTMAX. IR: inputs [x], attrs {}; log of the softmax over the last axis.

C (int8, as TFLite Micro): params [input multiplier, input left shift,
reverse scaling divisor, its shift, diff_min] from PreprocessLogSoftmaxScalingExp
(beta 1, 5 integer bits) and CalculateInputRadius. The output must be scale
16/256, zero point 127 (TFLite Micro's Prepare checks it). The numpy twin of
gemmlowp's log_x_for_x_greater_than_or_equal_to_1 (Q12 in, Q5 out) is here.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32
from pytool.ops.softmax import (
    INT32_MAX,
    INT32_MIN,
    calculate_input_radius,
    exp_on_negative_values,
    mul_pot,
    one_over_one_plus_x_for_x_in_0_1,
    srdhm,
    wrap32,
)
from pytool.ops.unary_common import io_dtype, no_macs, per_tensor, same_shape
from quantize.fixedpoint import multiply_by_quantized_multiplier, quantize_multiplier, rounding_divide_by_pot

OPCODE = 60
TYPES = ("int8",)  # TFLite Micro's LOG_SOFTMAX takes float32 and int8
infer_shapes, macs = same_shape, no_macs
DIFF_BITS = 5


def _clz(x: int) -> int:
    return 32 - (int(x) & 0xFFFFFFFF).bit_length()


def _sat(v: int) -> int:
    return int(min(max(v, INT32_MIN), INT32_MAX))


def log_q12_to_q5(x: int) -> int:
    """log_x_for_x_greater_than_or_equal_to_1_impl<5, 12> on one raw value."""
    in_bits, acc_bits = 12, 6
    log_2, sqrt_sqrt_half, sqrt_half = 1488522236, 1805811301, 1518500250
    alpha_n, alpha_d, alpha_i, alpha_f = 117049297, 127690142, 1057819769, 638450708

    def mul(a, b) -> int:
        return int(srdhm(a, b))

    def pot(a, e: int) -> int:
        return int(mul_pot(a, e))

    def add(a, b) -> int:
        return int(wrap32(int(a) + int(b)))

    quarter = pot(536870912, -acc_bits)
    za_hr1 = _clz(x)
    ra = pot(mul(pot(x, za_hr1 - 1), sqrt_half), 1)
    za_adj = _sat(pot(in_bits - za_hr1, 31 - acc_bits) + quarter)
    zb_hr = _clz(mul(x, sqrt_half)) - 1
    rb = pot(x, zb_hr)
    zb_adj = _sat(pot(in_bits - zb_hr, 31 - acc_bits) - quarter)
    r, z_adj = min(ra, rb), max(za_adj, zb_adj)
    s = r + sqrt_sqrt_half
    p = (s + 1) // 2 if s >= 0 else -((1 - s) // 2)  # RoundingHalfSum: half away from zero
    q = add(r, -sqrt_sqrt_half)
    q = add(q, q)
    common_sq = mul(q, q)
    num = add(mul(q, r), mul(mul(q, common_sq), alpha_n))
    denom = add(mul(p, add(add(alpha_i, q), mul(alpha_d, common_sq))), mul(alpha_f, q))
    recip = int(one_over_one_plus_x_for_x_in_0_1(denom))
    return pot(add(mul(z_adj, log_2), mul(pot(num, -acc_bits), recip)), 1)


def ref_float(g: Graph, op: Op, xs: list) -> list:
    x = np.asarray(xs[0], np.float32)
    m = x.max(axis=-1, keepdims=True)
    return [(x - m - np.log(np.sum(np.exp(x - m), axis=-1, keepdims=True))).astype(np.float32)]


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32: pytool/ops/f32_math.py
        return low_f32
    if io_dtype(g, op, ("int8", "int16")) != "int8":
        raise IRError(f"LOG_SOFTMAX '{op.name}': int16; TFLite Micro's kernel takes int8 only")
    qx, qy = per_tensor(g, op, op.inputs[0]), per_tensor(g, op, op.outputs[0])
    if float(np.float32(qy.scale[0])) != 16.0 / 256 or int(qy.zero_point[0]) != 127:
        raise IRError(f"LOG_SOFTMAX '{op.name}': output scale {float(qy.scale[0])} / zero point "
                      f"{int(qy.zero_point[0])}; TFLite Micro needs 16/256 and 127")
    real = min(float(np.float32(qx.scale[0])) * (1 << (31 - DIFF_BITS)), 2.0**31 - 1.0)
    if not real > 1.0:
        raise IRError(f"LOG_SOFTMAX '{op.name}': input scale {float(qx.scale[0])} is too small")
    m, left = quantize_multiplier(real)
    rev = (1 << (31 - left)) / float(m)
    if not 0.0 < rev < 1.0:
        raise IRError(f"LOG_SOFTMAX '{op.name}': reverse scaling {rev} is outside (0, 1)")
    rm, rs = quantize_multiplier(rev)
    return Lowered(inputs=[op.inputs[0]], params=[m, left, rm, rs, -calculate_input_radius(DIFF_BITS, left)])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    m, left, rm, rs, diff_min = low.params
    x = np.asarray(xs[0], np.int64)
    rows = x.reshape(-1, x.shape[-1])
    out = np.empty(rows.shape, np.int8)
    for k, row in enumerate(rows):
        diff = row - row.max()
        d5 = multiply_by_quantized_multiplier(diff, m, left)
        e = mul_pot(exp_on_negative_values(d5, DIFF_BITS), -12)
        total = 0
        for ok, v in zip(diff >= diff_min, e):
            if ok:
                total = int(wrap32(total + int(v)))
        log_q5 = log_q12_to_q5(total)
        scaled_min = int(multiply_by_quantized_multiplier(np.int64(wrap32(log_q5 + INT32_MIN)), rm, rs))
        adjusted = max(diff_min - 1, scaled_min)
        y = rounding_divide_by_pot(wrap32(d5 - log_q5), 31 - DIFF_BITS - 4) + 127
        out[k] = np.where(diff > adjusted, np.clip(y, -128, 127), -128)
    return [out.reshape(x.shape)]
