"""SignalIrfft, int16, int32 (FIXED_POINT=32: Q31 tables, int64 products) and float32. IR: inputs [x int16 [..., 2 (fft_length / 2 + 1)]]
((re, im) bins), outputs [y int16 [..., fft_length]], attrs {fft_length}:
KISS FFT's inverse real FFT (kiss_fftri, FIXED_POINT=16) per row, as TFLite
Micro runs it: the real-merge pass with its halving, then the complex
inverse FFT of fft_length / 2 points dividing by the radix at every stage
(float32: no scaling, then the output divided by fft_length, as TFLite
Micro's float Irfft does).

C (runtime_c/src/ops/signal_irfft.c): inputs [x, twiddles [n/2, 2],
super_twiddles [n/4, 2]] (x's dtype; inverse tables); params [fft_length,
n_factors, p0, m0, ...]. As for Rfft, the lowering picks the C op per sample
type and radix set (SIGNAL_IRFFT_[POW2_]S16 / S32 / F32); OPCODE (113) is the
run-time-typed one."""

from __future__ import annotations

import sys

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.signal_common import attr, ref_float_via_int
from pytool.ops.signal_kissfft import factors, irfft_row, twiddles
from pytool.ops.signal_rfft import TWIDDLE_BITS, fft_dtype_and_length, fft_rows, radix_pow2
from pytool.ops.signal_rfft import macs as _rfft_macs

OPCODE = 113
TYPED_OPCODES = {("int16", False): 120, ("int32", False): 121, ("float32", False): 122,
                 ("int16", True): 123, ("int32", True): 124, ("float32", True): 125}
TYPES = ("int16", "float32")  # and int32


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    shape = g.tensors[op.inputs[0]].shape
    return [(*shape[:-1], attr(op, "fft_length"))]


def macs(g: Graph, op: Op) -> int:
    return _rfft_macs(g, op)


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return ref_float_via_int(g, op, sys.modules[__name__], xs)


def lower(g: Graph, op: Op) -> Lowered:
    x = op.inputs[0]
    dt, n = fft_dtype_and_length(g, op)
    shape = g.tensors[x].shape
    if not shape or shape[-1] != 2 * (n // 2 + 1):
        raise IRError(f"{op.type} '{op.name}': input rows of {shape[-1] if shape else 0} values, "
                      f"{2 * (n // 2 + 1)} ((re, im) of fft_length / 2 + 1 bins) expected")
    f = factors(n // 2)
    tw, sup = twiddles(n // 2, inverse=True, b=TWIDDLE_BITS[dt])
    return Lowered(inputs=[x, tw, sup], params=[n, len(f) // 2, *f],  # the table dtype gives the width
                   opcode=TYPED_OPCODES[dt, radix_pow2(f)])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    return fft_rows(g, op, low, xs, irfft_row)
