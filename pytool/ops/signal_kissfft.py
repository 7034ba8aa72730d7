"""KISS FFT 1.3.0 at FIXED_POINT=16, the fixed-point FFT TFLite Micro's
signal library builds (kiss_fft.c, tools/kiss_fftr.c): the numpy twin of
runtime_c/src/kernels/signal/rfft.c, shared by SignalRfft and SignalIrfft.
Every store into a kiss_fft_cpx wraps to int16 as the C does."""

from __future__ import annotations

import math

import numpy as np

from pytool.ops.signal_common import wrap16


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


def twiddles(ncfft: int, inverse: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """kiss_fft_alloc's and kiss_fftr_alloc's tables (phases in double, negated when inverse)."""
    def cexp(phase: float) -> tuple[int, int]:
        phase = -phase if inverse else phase
        return math.floor(0.5 + 32767 * math.cos(phase)), math.floor(0.5 + 32767 * math.sin(phase))

    pi = 3.14159265358979323846264338327
    tw = [cexp(-2 * pi * i / ncfft) for i in range(ncfft)]
    sup = [cexp(-pi * ((i + 1) / ncfft + 0.5)) for i in range(ncfft // 2)]
    return np.array(tw, np.int16).reshape(ncfft, 2), np.array(sup, np.int16).reshape(max(ncfft // 2, 0), 2)


def sround(v: np.ndarray) -> np.ndarray:
    return wrap16((v + 16384) >> 15)


def fixdiv(c: np.ndarray, k: int) -> np.ndarray:
    return sround(c * (32767 // k))


def cmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    r = sround(a[..., 0] * b[..., 0] - a[..., 1] * b[..., 1])
    i = sround(a[..., 0] * b[..., 1] + a[..., 1] * b[..., 0])
    return np.stack([r, i], -1)


def _work(out: np.ndarray, o: int, x: np.ndarray, f: int, fstride: int, fac: list[int], tw: np.ndarray,
          inverse: bool) -> None:
    p, m = fac[0], fac[1]
    if m == 1:
        out[o:o + p] = x[f + np.arange(p) * fstride]
    else:
        for q in range(p):
            _work(out, o + q * m, x, f + q * fstride, fstride * p, fac[2:], tw, inverse)
    u = np.arange(m)
    if p == 2:
        a, b = fixdiv(out[o:o + m], 2), fixdiv(out[o + m:o + 2 * m], 2)
        t = cmul(b, tw[u * fstride])
        out[o + m:o + 2 * m] = wrap16(a - t)
        out[o:o + m] = wrap16(a + t)
        return
    f0, f1, f2, f3 = (fixdiv(out[o + k * m:o + (k + 1) * m], 4) for k in range(4))
    s0, s1, s2 = cmul(f1, tw[u * fstride]), cmul(f2, tw[2 * u * fstride]), cmul(f3, tw[3 * u * fstride])
    s5 = wrap16(f0 - s1)
    f0 = wrap16(f0 + s1)
    s3, s4 = wrap16(s0 + s2), wrap16(s0 - s2)
    out[o + 2 * m:o + 3 * m] = wrap16(f0 - s3)
    out[o:o + m] = wrap16(f0 + s3)
    sg = -1 if inverse else 1  # the inverse transform swaps the two rotated outputs
    out[o + m:o + 2 * m, 0] = wrap16(s5[:, 0] + sg * s4[:, 1])
    out[o + m:o + 2 * m, 1] = wrap16(s5[:, 1] - sg * s4[:, 0])
    out[o + 3 * m:o + 4 * m, 0] = wrap16(s5[:, 0] - sg * s4[:, 1])
    out[o + 3 * m:o + 4 * m, 1] = wrap16(s5[:, 1] + sg * s4[:, 0])


def rfft_row(x: np.ndarray, n: int, fac: list[int], tw: np.ndarray, sup: np.ndarray) -> np.ndarray:
    nc = n // 2
    buf = np.zeros(n, np.int64)
    buf[:x.size] = x
    z = np.zeros((nc, 2), np.int64)
    _work(z, 0, buf.reshape(nc, 2), 0, 1, fac, tw.astype(np.int64), False)
    out = np.zeros((nc + 1, 2), np.int64)
    tdc = fixdiv(z[0], 2)
    out[0] = [wrap16(tdc[0] + tdc[1]), 0]
    out[nc] = [wrap16(tdc[0] - tdc[1]), 0]
    k = np.arange(1, nc // 2 + 1)
    fpk = fixdiv(z[k], 2)
    fpnk = fixdiv(np.stack([z[nc - k, 0], wrap16(-z[nc - k, 1])], -1), 2)
    f1k, f2k = wrap16(fpk + fpnk), wrap16(fpk - fpnk)
    t = cmul(f2k, sup[k - 1].astype(np.int64))
    lo = np.stack([wrap16((f1k[:, 0] + t[:, 0]) >> 1), wrap16((f1k[:, 1] + t[:, 1]) >> 1)], -1)
    hi = np.stack([wrap16((f1k[:, 0] - t[:, 0]) >> 1), wrap16((t[:, 1] - f1k[:, 1]) >> 1)], -1)
    out[k] = lo
    out[nc - k] = hi  # written after out[k]: the middle bin takes this value, as in KISS FFT
    return out.reshape(-1)




def irfft_row(z: np.ndarray, n: int, fac: list[int], tw: np.ndarray, sup: np.ndarray) -> np.ndarray:
    """kiss_fftri: (n/2 + 1) complex bins -> n real samples (tables from twiddles(n/2, inverse=True))."""
    nc = n // 2
    z = np.asarray(z, np.int64).reshape(-1, 2)[:nc + 1]
    tmp = np.zeros((nc, 2), np.int64)
    tmp[0] = fixdiv(wrap16(np.array([z[0, 0] + z[nc, 0], z[0, 0] - z[nc, 0]])), 2)
    k = np.arange(1, nc // 2 + 1)
    fk = fixdiv(z[k], 2)
    fnkc = fixdiv(np.stack([z[nc - k, 0], wrap16(-z[nc - k, 1])], -1), 2)
    fek, t = wrap16(fk + fnkc), wrap16(fk - fnkc)
    fok = cmul(t, sup[k - 1].astype(np.int64))
    tmp[k] = wrap16(fek + fok)
    lo = wrap16(fek - fok)
    tmp[nc - k] = np.stack([lo[:, 0], wrap16(-lo[:, 1])], -1)  # after tmp[k]: the middle bin takes this one
    out = np.zeros((nc, 2), np.int64)
    _work(out, 0, tmp, 0, 1, fac, tw.astype(np.int64), True)
    return out.reshape(-1)
