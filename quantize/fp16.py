"""float32 -> float16 conversion of chosen tensors for the FP16 training path.

The rounding is done on the bit patterns (round to nearest, ties to even),
the same integer steps a C kernel without a hardware FP16 unit would take, so
the result does not depend on the host's float16 support. Values beyond the
float16 range saturate to +/-65504 instead of becoming infinities (a single
inf would poison every later gradient step) and are counted per tensor.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

FP16_MAX = 65504.0
_FP16_MAX_BITS = 0x7BFF
_FP16_INF_BITS = 0x7C00
_FP16_QNAN_BITS = 0x7E00


@dataclass
class Fp16TensorReport:
    tensor: str
    elements: int
    saturated: int  # finite or infinite values beyond +/-65504, clamped to +/-65504
    underflowed: int  # non-zero values that became (signed) zero
    nans: int
    max_abs_error: float  # over values that did not saturate


@dataclass
class Fp16Report:
    tensors: list[Fp16TensorReport]

    @property
    def total_saturated(self) -> int:
        return sum(t.saturated for t in self.tensors)

    def by_name(self, name: str) -> Fp16TensorReport:
        for t in self.tensors:
            if t.tensor == name:
                return t
        raise KeyError(f"no FP16 report for tensor '{name}'")


def _round_shift_rne(value: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """value >> shift with round-to-nearest-even on the dropped bits (int64)."""
    shift = np.minimum(shift, 62)
    half = np.where(shift > 0, np.int64(1) << np.maximum(shift - 1, 0), 0)
    dropped = value & ((np.int64(1) << shift) - 1)
    kept = value >> shift
    round_up = (dropped > half) | ((dropped == half) & (shift > 0) & ((kept & 1) == 1))
    return kept + round_up


def float32_to_float16_bits(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Returns (uint16 bit patterns, mask of saturated elements)."""
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.int64)
    sign = (bits >> 16) & 0x8000
    exp = (bits >> 23) & 0xFF
    mant = bits & 0x7FFFFF
    unbiased = exp - 127

    # Normal float16 results: keep 10 of 23 mantissa bits; a carry out of the
    # mantissa bumps the exponent, which is exactly what the bit layout does.
    normal = (((unbiased + 15) << 10) | (mant >> 13)).astype(np.int64)
    dropped = mant & 0x1FFF
    normal = normal + ((dropped > 0x1000) | ((dropped == 0x1000) & ((normal & 1) == 1)))

    # Subnormal float16 results: the value is m * 2^(e-23) with the implicit
    # one, and the float16 subnormal unit is 2^-24, so shift right by -(e+1).
    full = mant | 0x800000
    sub_shift = np.clip(-(unbiased + 1), 0, 40)
    subnormal = _round_shift_rne(full, sub_shift)

    mag = np.where(unbiased >= -14, normal, subnormal)
    mag = np.where(exp == 0, 0, mag)  # float32 zeros/subnormals are far below 2^-25
    is_nan = (exp == 0xFF) & (mant != 0)
    saturated = (~is_nan) & ((mag >= _FP16_INF_BITS) | (unbiased > 15))
    mag = np.where(saturated, _FP16_MAX_BITS, mag)
    mag = np.where(is_nan, _FP16_QNAN_BITS, mag)
    return (sign | mag).astype(np.uint16), saturated


def to_float16(x: np.ndarray) -> tuple[np.ndarray, int]:
    """float32 array -> (float16 array, number of saturated elements)."""
    h, sat = float32_to_float16_bits(np.asarray(x, dtype=np.float32))
    return h.view(np.float16).reshape(np.shape(x)), int(sat.sum())


def convert_tensors(
    arrays: Mapping[str, np.ndarray], names: Iterable[str] | None = None
) -> tuple[dict[str, np.ndarray], Fp16Report]:
    """Converts the chosen tensors (all when names is None) to float16.

    Returns the new float16 arrays (only the converted ones) and a report with
    per-tensor saturation/underflow counts and the worst in-range error.
    """
    chosen = list(arrays) if names is None else list(names)
    out: dict[str, np.ndarray] = {}
    reports: list[Fp16TensorReport] = []
    for name in chosen:
        if name not in arrays:
            raise KeyError(f"FP16 conversion: no tensor named '{name}' (have: {', '.join(arrays)})")
        src = np.asarray(arrays[name])
        if not np.issubdtype(src.dtype, np.floating):
            raise TypeError(f"FP16 conversion: tensor '{name}' is {src.dtype}, expected a float array")
        x = src.astype(np.float32)
        bits, sat = float32_to_float16_bits(x)
        h = bits.view(np.float16).reshape(x.shape)
        nan = np.isnan(x)
        under = (x != 0) & (h == 0)
        ok = ~sat & ~nan
        err = np.abs(h.astype(np.float64)[ok] - x.astype(np.float64)[ok])
        out[name] = h
        reports.append(
            Fp16TensorReport(
                tensor=name,
                elements=int(x.size),
                saturated=int(sat.sum()),
                underflowed=int(under.sum()),
                nans=int(nan.sum()),
                max_abs_error=float(err.max()) if err.size else 0.0,
            )
        )
    return out, Fp16Report(reports)


def convert_graph_tensors(g, names: Iterable[str]) -> Fp16Report:
    """Turns chosen float32 tensors of an IR graph into float16 in place.

    Constants get converted data; activations only change dtype.
    """
    names = list(names)
    consts = {}
    for n in names:
        if n not in g.tensors:
            raise KeyError(f"FP16 conversion: graph has no tensor '{n}'")
        t = g.tensors[n]
        if t.dtype not in ("float32", "float16"):
            raise TypeError(f"FP16 conversion: tensor '{n}' is {t.dtype}, expected float32")
        if t.is_const:
            consts[n] = t.data
    new, report = convert_tensors(consts)
    for n in names:
        t = g.tensors[n]
        t.dtype = "float16"
        if n in new:
            t.data = new[n]
    return report


def render_fp16_report(report: Fp16Report):
    from rich.table import Table

    table = Table(title="FP16 conversion")
    for col in ("tensor", "elements", "saturated", "underflowed", "NaN", "max |err|"):
        table.add_column(col, justify="left" if col == "tensor" else "right")
    for t in report.tensors:
        table.add_row(
            t.tensor, str(t.elements), str(t.saturated), str(t.underflowed), str(t.nans), f"{t.max_abs_error:.3g}"
        )
    return table
