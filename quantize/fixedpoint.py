"""Fixed-point multipliers exactly as TFLite computes them
(tensorflow/lite/kernels/internal/quantization_util.cc, QuantizeMultiplier)."""

from __future__ import annotations

import math

import numpy as np


def tflite_round(x: float) -> int:
    """std::round: half away from zero (Python's round() is half-to-even)."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def quantize_multiplier(real_multiplier: float) -> tuple[int, int]:
    """Returns (q31 multiplier, shift) with real = q31 * 2^(shift - 31).

    shift is signed: positive means a left shift, as TFLite's kernels expect.
    """
    if real_multiplier == 0.0:
        return 0, 0
    q, shift = math.frexp(float(real_multiplier))
    q_fixed = tflite_round(q * (1 << 31))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift = 0
        q_fixed = 0
    return int(q_fixed), int(shift)


def effective_scale(s_in: float, s_w: float, s_out: float) -> float:
    """TFLite multiplies float32 scales promoted to double, then divides."""
    return float(np.float64(np.float32(s_in)) * np.float64(np.float32(s_w)) / np.float64(np.float32(s_out)))


def multiply_by_quantized_multiplier(x: np.ndarray, multiplier, shift) -> np.ndarray:
    """Vectorised twin of odl_mul_by_quantized_multiplier (int64 numpy math).

    multiplier/shift broadcast against x (e.g. per channel on the last axis).
    """
    x = np.asarray(x, dtype=np.int64)
    m = np.asarray(multiplier, dtype=np.int64)
    s = np.asarray(shift, dtype=np.int64)
    left = np.where(s > 0, s, 0)
    right = np.where(s > 0, 0, -s)
    xl = (x << left).astype(np.int64)
    xl = ((xl + 2**31) % 2**32) - 2**31  # int32 wrap, as the C shift on uint32
    ab = xl * m
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    num = ab + nudge
    # C integer division truncates toward zero.
    high = np.where(num >= 0, num // (1 << 31), -((-num) // (1 << 31)))
    high = np.where((xl == m) & (xl == -(2**31)), 2**31 - 1, high)
    return rounding_divide_by_pot(high, right)


def rounding_divide_by_pot(x: np.ndarray, exponent) -> np.ndarray:
    x = np.asarray(x, dtype=np.int64)
    e = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << e) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> e) + (remainder > threshold)
