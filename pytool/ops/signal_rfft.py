"""SignalRfft, int16. IR: inputs [x int16 [..., len]], outputs [y int16
[..., 2 (fft_length / 2 + 1)]] (re, im pairs), attrs {fft_length}. Each row
is zero-padded to fft_length and transformed by the fixed-point real FFT
TFLite Micro uses (KISS FFT 1.3.0 built with FIXED_POINT=16): a complex FFT of
fft_length / 2 points (radix 4 first, then 2; every stage divides by the radix
with rounding) and the real-split pass with its halving.

The twiddles are KISS FFT's (floor(0.5 + 32767 cos), in double) computed here,
so the C needs no libm and every board has the same tables.

C (runtime_c/src/ops/signal_rfft.c): inputs [x, twiddles int16 [n/2, 2],
super_twiddles int16 [n/4, 2]]; params [fft_length, n_factors, p0, m0, p1,
m1, ...] (KISS FFT's factor list)."""

from __future__ import annotations

import math

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.signal_common import attr, check_dtypes, wrap16

OPCODE = 102
TYPES = ("int16",)


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
    return ref_int8(g, op, lower(g, op), xs)


def factors(n: int) -> list[int]:
    """KISS FFT's kf_factor: powers of 4, then 2, then odd primes."""
    out: list[int] = []
    p, floor_sqrt = 4, math.floor(math.sqrt(n))
    while True:
        while n % p:
            p = 2 if p == 4 else 3 if p == 2 else p + 2
            if p > floor_sqrt:
                p = n
        n //= p
        out += [p, n]
        if n <= 1:
            return out


def twiddles(ncfft: int) -> tuple[np.ndarray, np.ndarray]:
    def cexp(phase: float) -> tuple[int, int]:
        return math.floor(0.5 + 32767 * math.cos(phase)), math.floor(0.5 + 32767 * math.sin(phase))

    pi = 3.14159265358979323846264338327
    tw = [cexp(-2 * pi * i / ncfft) for i in range(ncfft)]
    sup = [cexp(-pi * ((i + 1) / ncfft + 0.5)) for i in range(ncfft // 2)]
    return np.array(tw, np.int16).reshape(ncfft, 2), np.array(sup, np.int16).reshape(max(ncfft // 2, 0), 2)


def lower(g: Graph, op: Op) -> Lowered:
    x, y = op.inputs[0], op.outputs[0]
    check_dtypes(g, op, [x, y], ["int16", "int16"])
    n = attr(op, "fft_length")
    if n < 4 or n & (n - 1):
        raise IRError(f"{op.type} '{op.name}': fft_length {n} is not supported (a power of two >= 4 is)")
    shape = g.tensors[x].shape
    if not shape or shape[-1] > n:
        raise IRError(f"{op.type} '{op.name}': input rows of {shape[-1] if shape else 0} exceed fft_length {n}")
    f = factors(n // 2)
    tw, sup = twiddles(n // 2)
    return Lowered(inputs=[x, tw, sup], params=[n, len(f) // 2, *f])


def _sround(v: np.ndarray) -> np.ndarray:
    return wrap16((v + 16384) >> 15)


def _fixdiv(c: np.ndarray, k: int) -> np.ndarray:
    return _sround(c * (32767 // k))


def _cmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    r = _sround(a[..., 0] * b[..., 0] - a[..., 1] * b[..., 1])
    i = _sround(a[..., 0] * b[..., 1] + a[..., 1] * b[..., 0])
    return np.stack([r, i], -1)


def _work(out: np.ndarray, o: int, x: np.ndarray, f: int, fstride: int, fac: list[int], tw: np.ndarray) -> None:
    p, m = fac[0], fac[1]
    if m == 1:
        out[o:o + p] = x[f + np.arange(p) * fstride]
    else:
        for q in range(p):
            _work(out, o + q * m, x, f + q * fstride, fstride * p, fac[2:], tw)
    u = np.arange(m)
    if p == 2:
        a, b = _fixdiv(out[o:o + m], 2), _fixdiv(out[o + m:o + 2 * m], 2)
        t = _cmul(b, tw[u * fstride])
        out[o + m:o + 2 * m] = wrap16(a - t)
        out[o:o + m] = wrap16(a + t)
        return
    f0, f1, f2, f3 = (_fixdiv(out[o + k * m:o + (k + 1) * m], 4) for k in range(4))
    s0, s1, s2 = _cmul(f1, tw[u * fstride]), _cmul(f2, tw[2 * u * fstride]), _cmul(f3, tw[3 * u * fstride])
    s5 = wrap16(f0 - s1)
    f0 = wrap16(f0 + s1)
    s3, s4 = wrap16(s0 + s2), wrap16(s0 - s2)
    out[o + 2 * m:o + 3 * m] = wrap16(f0 - s3)
    out[o:o + m] = wrap16(f0 + s3)
    out[o + m:o + 2 * m, 0] = wrap16(s5[:, 0] + s4[:, 1])
    out[o + m:o + 2 * m, 1] = wrap16(s5[:, 1] - s4[:, 0])
    out[o + 3 * m:o + 4 * m, 0] = wrap16(s5[:, 0] - s4[:, 1])
    out[o + 3 * m:o + 4 * m, 1] = wrap16(s5[:, 1] + s4[:, 0])


def rfft_row(x: np.ndarray, n: int, fac: list[int], tw: np.ndarray, sup: np.ndarray) -> np.ndarray:
    nc = n // 2
    buf = np.zeros(n, np.int64)
    buf[:x.size] = x
    z = np.zeros((nc, 2), np.int64)
    _work(z, 0, buf.reshape(nc, 2), 0, 1, fac, tw.astype(np.int64))
    out = np.zeros((nc + 1, 2), np.int64)
    tdc = _fixdiv(z[0], 2)
    out[0] = [wrap16(tdc[0] + tdc[1]), 0]
    out[nc] = [wrap16(tdc[0] - tdc[1]), 0]
    k = np.arange(1, nc // 2 + 1)
    fpk = _fixdiv(z[k], 2)
    fpnk = _fixdiv(np.stack([z[nc - k, 0], wrap16(-z[nc - k, 1])], -1), 2)
    f1k, f2k = wrap16(fpk + fpnk), wrap16(fpk - fpnk)
    t = _cmul(f2k, sup[k - 1].astype(np.int64))
    lo = np.stack([wrap16((f1k[:, 0] + t[:, 0]) >> 1), wrap16((f1k[:, 1] + t[:, 1]) >> 1)], -1)
    hi = np.stack([wrap16((f1k[:, 0] - t[:, 0]) >> 1), wrap16((t[:, 1] - f1k[:, 1]) >> 1)], -1)
    out[k] = lo
    out[nc - k] = hi  # written after out[k]: the middle bin takes this value, as in KISS FFT
    return out.reshape(-1)


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    x, tw, sup = xs
    n, nf = low.params[0], low.params[1]
    fac = list(low.params[2:2 + 2 * nf])
    x = np.asarray(x, np.int64)
    rows = x.reshape(-1, x.shape[-1])
    out = np.stack([rfft_row(r, n, fac, np.asarray(tw), np.asarray(sup)) for r in rows])
    return [out.reshape(g.tensors[op.outputs[0]].shape).astype(np.int16)]
