"""Fixed-point multipliers and FP16 conversion against independent definitions."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from quantize.fixedpoint import effective_scale, multiply_by_quantized_multiplier, quantize_multiplier
from quantize.fp16 import FP16_MAX, convert_tensors, to_float16

# ---- QuantizeMultiplier, derived with exact rational arithmetic ---------------------


def _round_half_away(x: Fraction) -> int:
    fl = math.floor(abs(x) + Fraction(1, 2))
    return fl if x >= 0 else -fl


def expected_multiplier(real: float) -> tuple[int, int]:
    """TFLite's definition: real = q * 2^shift with q in [0.5, 1), q_fixed =
    round(q * 2^31) (half away from zero); q_fixed == 2^31 becomes 2^30 with
    shift + 1; shifts below -31 flush to (0, 0)."""
    if real == 0:
        return 0, 0
    r = Fraction(real)
    shift = 0
    while r * Fraction(2) ** -shift >= 1:
        shift += 1
    while r * Fraction(2) ** -shift < Fraction(1, 2):
        shift -= 1
    q_fixed = _round_half_away(r * Fraction(2) ** (31 - shift))
    if q_fixed == 2**31:
        q_fixed, shift = 2**30, shift + 1
    if shift < -31:
        return 0, 0
    return q_fixed, shift


EDGE_RATIOS = [
    1.0,
    0.5,
    0.25,
    2.0,
    1e-12,
    1e6,
    1e-6,
    3.0517578125e-05,  # 2^-15
    0.0039215686,
    np.nextafter(1.0, 0.0),  # q rounds up to 2^31: the renormalisation case
    np.nextafter(0.5, 0.0),
    np.nextafter(0.5, 1.0),
    np.nextafter(1.0, 2.0),
    1.0 - 2.0**-33,  # q * 2^31 = 2^31 - 0.25 -> rounds to 2^31
    1.0 - 2.0**-32,  # exactly half below 2^31: half away from zero -> 2^31
    0.5 - 2.0**-34,
    2.0**-31,
    2.0**-32,  # shift -31: still representable
    2.0**-33,  # shift -32: flushed to zero
    0.123456789,
    12345.678,
]


@pytest.mark.parametrize("ratio", EDGE_RATIOS)
def test_quantize_multiplier_matches_definition(ratio: float) -> None:
    got = quantize_multiplier(float(ratio))
    assert got == expected_multiplier(float(ratio))
    q, shift = got
    assert q == 0 or 2**30 <= q < 2**31
    if q:
        # The representation error is at most half an LSB of the Q31 mantissa.
        err = abs(Fraction(q) * Fraction(2) ** (shift - 31) - Fraction(float(ratio)))
        assert err <= Fraction(2) ** (shift - 32)


def test_quantize_multiplier_exact_powers_of_two() -> None:
    for k in range(-30, 31):
        assert quantize_multiplier(2.0**k) == (2**30, k + 1)


def test_quantize_multiplier_renormalises_rounding_overflow() -> None:
    q, shift = quantize_multiplier(float(np.nextafter(1.0, 0.0)))
    assert (q, shift) == (2**30, 1)


def test_quantize_multiplier_random_ratios() -> None:
    rng = np.random.default_rng(1)
    for r in 10.0 ** rng.uniform(-10, 7, size=400):
        assert quantize_multiplier(float(r)) == expected_multiplier(float(r))


def test_effective_scale_uses_float32_scales_in_double() -> None:
    s_in, s_w, s_out = 0.1, 0.03, 0.7
    want = float(Fraction(float(np.float32(s_in))) * Fraction(float(np.float32(s_w))) / Fraction(float(np.float32(s_out))))
    assert abs(effective_scale(s_in, s_w, s_out) - want) <= abs(want) * 2**-52


# ---- MultiplyByQuantizedMultiplier vs gemmlowp's definition in Python ints ----------


def _srdhm(a: int, b: int) -> int:
    """SaturatingRoundingDoublingHighMul on int32 values."""
    if a == b == -(2**31):
        return 2**31 - 1
    ab = a * b
    nudge = 1 << 30 if ab >= 0 else 1 - (1 << 30)
    return _trunc_div(ab + nudge, 2**31)


def _trunc_div(n: int, d: int) -> int:
    q = abs(n) // d
    return q if n >= 0 else -q


def _rdbpot(x: int, exponent: int) -> int:
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def _wrap32(v: int) -> int:
    return ((v + 2**31) % 2**32) - 2**31


def _mbqm(x: int, m: int, shift: int) -> int:
    left = max(shift, 0)
    right = max(-shift, 0)
    return _rdbpot(_srdhm(_wrap32(x * (1 << left)), m), right)


def test_multiply_by_quantized_multiplier_matches_definition() -> None:
    rng = np.random.default_rng(2)
    xs = np.concatenate([
        rng.integers(-(2**31), 2**31, size=300),
        rng.integers(-5000, 5000, size=300),
        np.array([0, 1, -1, 2**31 - 1, -(2**31), 3, -3, 5, -5]),
    ]).astype(np.int64)
    for ratio in [1e-6, 0.00392, 0.5, 0.75, float(np.nextafter(1.0, 0.0)), 1.0, 1.7, 3.2]:
        m, s = quantize_multiplier(ratio)
        small = xs if s <= 0 else xs[np.abs(xs) < 2**20]
        got = multiply_by_quantized_multiplier(small, m, s)
        want = np.array([_mbqm(int(x), m, s) for x in small])
        np.testing.assert_array_equal(got, want, err_msg=f"ratio {ratio}")


def test_multiply_by_quantized_multiplier_rounds_ties_away_from_zero() -> None:
    # 0.25 = 2^30 * 2^(-1-31): exact high-mul, then the rounding right shift
    # takes exact halves away from zero (-5.5 -> -6, as TFLite Micro does).
    m, s = quantize_multiplier(0.25)
    assert (m, s) == (2**30, -1)
    got = multiply_by_quantized_multiplier(np.array([22, -22, 2, -2, 6, -6, 5, -5]), m, s)
    # 5 * 0.25 shows TFLite's double rounding: the high-mul rounds 2.5 to 3
    # (and -2.5 to -2), then the shift rounds 1.5 to 2 (and -1 stays -1).
    np.testing.assert_array_equal(got, [6, -6, 1, -1, 2, -2, 2, -1])


# ---- FP16 -----------------------------------------------------------------------


def test_fp16_matches_numpy_on_in_range_values() -> None:
    rng = np.random.default_rng(3)
    bits = rng.integers(0, 2**32, size=200_000, dtype=np.uint64).astype(np.uint32)
    x = bits.view(np.float32)
    x = x[np.isfinite(x) & (np.abs(x) < 65504)]
    dense = (np.arange(-(2**15), 2**15) * 2.0**-27).astype(np.float32)  # subnormals and ties
    normals = rng.standard_normal(50_000).astype(np.float32) * 1000
    for arr in (x, dense, normals):
        h, sat = to_float16(arr)
        assert sat == 0
        np.testing.assert_array_equal(h.view(np.uint16), arr.astype(np.float16).view(np.uint16))


def test_fp16_rounds_ties_to_even() -> None:
    one = np.float32(1.0)
    ulp = 2.0**-10
    x = np.array([one + ulp / 2, one + 3 * ulp / 2, one + ulp / 2 + 2.0**-20], np.float32)
    h, _ = to_float16(x)
    np.testing.assert_array_equal(h.astype(np.float64), [1.0, 1.0 + 2 * ulp, 1.0 + ulp])


def test_fp16_saturates_and_reports_overflow() -> None:
    x = np.array([65504, 65519.0, 65520, 1e6, -1e6, np.inf, -np.inf, 1.0, np.nan], np.float32)
    out, report = convert_tensors({"w": x, "b": np.ones(3, np.float32)}, ["w"])
    assert set(out) == {"w"}
    h = out["w"].astype(np.float64)
    # 65519 rounds to 65504 under round-to-nearest-even: in range, not saturated.
    np.testing.assert_array_equal(h[:8], [FP16_MAX, FP16_MAX, FP16_MAX, FP16_MAX, -FP16_MAX, FP16_MAX, -FP16_MAX, 1.0])
    assert np.isnan(h[8])
    r = report.by_name("w")
    assert (r.saturated, r.nans, r.elements) == (5, 1, 9)
    assert report.total_saturated == 5
    assert not np.isinf(out["w"]).any()


def test_fp16_reports_underflow_and_error() -> None:
    x = np.array([1e-9, -1e-9, 2.0**-24, 0.1], np.float32)
    _, report = convert_tensors({"t": x})
    r = report.tensors[0]
    assert r.underflowed == 2
    assert 0 < r.max_abs_error <= 2.0**-15  # half a float16 ulp at 0.1


def test_fp16_rejects_unknown_or_integer_tensors() -> None:
    with pytest.raises(KeyError, match="'nope'"):
        convert_tensors({"a": np.zeros(2, np.float32)}, ["nope"])
    with pytest.raises(TypeError, match="'i'.*int8"):
        convert_tensors({"i": np.zeros(2, np.int8)})
