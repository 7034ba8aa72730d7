"""SignalRfft, int16, int32 (FIXED_POINT=32: Q31 tables, int64 products) and float32. IR: inputs [x int16 [..., len]], outputs [y int16
[..., 2 (fft_length / 2 + 1)]] (re, im pairs), attrs {fft_length}. Each row
is zero-padded to fft_length and transformed by the fixed-point real FFT
TFLite Micro uses (KISS FFT 1.3.0 built with FIXED_POINT=16): a complex FFT of
fft_length / 2 points (KISS FFT's mixed radix: 4 first, then 2, 3, 5; every
stage divides by the radix with rounding) and the real-split pass with its
halving. fft_length must be even with no prime factor above 5 in its half
(TFLite Micro's build crashes on the generic radix).

The twiddles are KISS FFT's (floor(0.5 + 32767 cos), in double) computed here,
so the C needs no libm and every board has the same tables.

C (runtime_c/src/ops/signal_rfft.c): inputs [x, twiddles [n/2, 2],
super_twiddles [n/4, 2]] (x's dtype); params [fft_length, n_factors, p0, m0, p1,
m1, ...] (KISS FFT's factor list). The lowering picks the C op per sample type
and radix set (SIGNAL_RFFT_[POW2_]S16 / S32 / F32: the power-of-two ones carry
no radix-3/5 butterflies), so a firmware links only the FFT its model runs;
OPCODE (102) is the run-time-typed decoder kept for hand-written models."""

from __future__ import annotations

import math
import sys

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.signal_common import attr, check_dtypes, ref_float_via_int
from pytool.ops.signal_kissfft import factors, rfft_row, twiddles

OPCODE = 102
# (dtype, power of two) -> the typed C op (runtime_c/include/odl/ops.def)
TYPED_OPCODES = {("int16", False): 114, ("int32", False): 115, ("float32", False): 116,
                 ("int16", True): 117, ("int32", True): 118, ("float32", True): 119}
TYPES = ("int16", "float32")  # and int32


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    shape = g.tensors[op.inputs[0]].shape
    n = attr(op, "fft_length")
    return [(*shape[:-1], 2 * (n // 2 + 1))]


def macs(g: Graph, op: Op) -> int:
    shape = g.tensors[op.inputs[0]].shape
    n = attr(op, "fft_length")
    rows = int(np.prod(shape[:-1], dtype=np.int64))
    return rows * 2 * n * max(1, int(math.log2(max(n, 2))))


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return ref_float_via_int(g, op, sys.modules[__name__], xs)


TWIDDLE_BITS = {"int16": 16, "int32": 32, "float32": 0}  # fixed-point width per storage dtype; 0 = float


def fft_dtype_and_length(g: Graph, op: Op) -> tuple[str, int]:
    """Rfft / Irfft: the storage dtype (int16, int32, float32; input and
    output alike) and an fft_length the radix 2 / 3 / 4 / 5 kernels take, or an IRError naming why."""
    x, y = op.inputs[0], op.outputs[0]
    dt = g.tensors[x].dtype
    if dt not in ("int16", "int32", "float32"):
        raise IRError(f"{op.type} '{op.name}': {dt} is not supported (int16, int32 and float32 are)")
    check_dtypes(g, op, [x, y], [dt, dt])
    n = attr(op, "fft_length")
    if n < 4 or n % 2 or any(p not in (2, 3, 4, 5) for p in factors(n // 2)[::2]):
        raise IRError(f"{op.type} '{op.name}': fft_length {n} is not supported (an even length >= 4 whose half "
                      "has no prime factor above 5 is: TFLite Micro's KISS FFT crashes on its generic radix)")
    return dt, n


def radix_pow2(fac: list[int]) -> bool:
    """True when KISS FFT's plan uses radix 2 and 4 only (the _POW2 C ops)."""
    return all(p in (2, 4) for p in fac[::2])


def lower(g: Graph, op: Op) -> Lowered:
    x = op.inputs[0]
    dt, n = fft_dtype_and_length(g, op)
    shape = g.tensors[x].shape
    if not shape or shape[-1] > n:
        raise IRError(f"{op.type} '{op.name}': input rows of {shape[-1] if shape else 0} exceed fft_length {n}")
    f = factors(n // 2)
    tw, sup = twiddles(n // 2, b=TWIDDLE_BITS[dt])
    return Lowered(inputs=[x, tw, sup], params=[n, len(f) // 2, *f],  # the table dtype gives the width
                   opcode=TYPED_OPCODES[dt, radix_pow2(f)])


def fft_rows(g: Graph, op: Op, low: Lowered, xs: list, row_fn) -> list:
    """Rfft / Irfft twin: row_fn over every row, at the width the tables' dtype gives."""
    x, tw, sup = xs
    n, nf = low.params[0], low.params[1]
    fac = list(low.params[2:2 + 2 * nf])
    b = TWIDDLE_BITS[np.asarray(tw).dtype.name]
    x = np.asarray(x, np.float32 if not b else np.int64)
    rows = x.reshape(-1, x.shape[-1])
    out = np.stack([row_fn(r, n, fac, np.asarray(tw), np.asarray(sup), b) for r in rows])
    return [out.reshape(g.tensors[op.outputs[0]].shape).astype(g.tensors[op.outputs[0]].np_dtype)]


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    return fft_rows(g, op, low, xs, rfft_row)
