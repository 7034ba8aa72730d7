"""KISS FFT 1.3.0 at FIXED_POINT=16 and 32, the fixed-point FFTs TFLite
Micro's signal library builds (kiss_fft.c, tools/kiss_fftr.c): the numpy twin
of runtime_c/src/kernels/signal/rfft.c, shared by SignalRfft and SignalIrfft.
`b` is the sample width (16 or 32): Q15 / Q31 twiddles and rounding, int32 /
int64 products. Every store into a kiss_fft_cpx wraps to b bits as the C
does (int32 sums that overflow wrap, as the reference's builds do). b = 0 is
the float32 build: no scaling, HALF_OF a multiply by 0.5, every operation
rounded to float32 (no contraction), as TFLite Micro's host build computes."""

from __future__ import annotations

import math

import numpy as np


def factors(n: int) -> list[int]:
    """KISS FFT's kf_factor: powers of 4, then 2, then odd primes (the kernels take radix 2, 3, 4, 5)."""
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


def twiddles(ncfft: int, inverse: bool = False, b: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """kiss_fft_alloc's and kiss_fftr_alloc's tables (phases in double, negated when inverse)."""
    smax = (1 << (b - 1)) - 1 if b else 0

    def cexp(phase: float) -> tuple:
        phase = -phase if inverse else phase
        if not b:  # (float) cos(phase)
            return float(np.float32(math.cos(phase))), float(np.float32(math.sin(phase)))
        return math.floor(0.5 + smax * math.cos(phase)), math.floor(0.5 + smax * math.sin(phase))

    pi = 3.14159265358979323846264338327
    tw = [cexp(-2 * pi * i / ncfft) for i in range(ncfft)]
    sup = [cexp(-pi * ((i + 1) / ncfft + 0.5)) for i in range(ncfft // 2)]
    dt = {16: np.int16, 32: np.int32, 0: np.float32}[b]
    return np.array(tw, dt).reshape(ncfft, 2), np.array(sup, dt).reshape(max(ncfft // 2, 0), 2)


def wrap(v, b: int) -> np.ndarray:
    if not b:
        return np.asarray(v, np.float32)
    h = 1 << (b - 1)
    return ((np.asarray(v, np.int64) + h) & ((1 << b) - 1)) - h


def sround(v: np.ndarray, b: int) -> np.ndarray:
    if not b:
        return np.asarray(v, np.float32)
    return wrap((v + (1 << (b - 2))) >> (b - 1), b)


def fixdiv(c: np.ndarray, k: int, b: int) -> np.ndarray:
    if not b:
        return np.asarray(c, np.float32)
    return sround(c * (((1 << (b - 1)) - 1) // k), b)


def cmul(a: np.ndarray, t: np.ndarray, b: int) -> np.ndarray:
    r = sround(a[..., 0] * t[..., 0] - a[..., 1] * t[..., 1], b)
    i = sround(a[..., 0] * t[..., 1] + a[..., 1] * t[..., 0], b)
    return np.stack([r, i], -1)


def half(v: np.ndarray, b: int) -> np.ndarray:
    """HALF_OF of a sum: int16 sums are computed in int (no wrap), int32 sums wrap first."""
    if not b:
        return np.asarray(v, np.float32) * np.float32(0.5)
    return wrap((wrap(v, b) if b == 32 else v) >> 1, b)


def _work(out: np.ndarray, o: int, x: np.ndarray, f: int, fstride: int, fac: list[int], tw: np.ndarray,
          inverse: bool, b: int) -> None:
    p, m = fac[0], fac[1]
    if m == 1:
        out[o:o + p] = x[f + np.arange(p) * fstride]
    else:
        for q in range(p):
            _work(out, o + q * m, x, f + q * fstride, fstride * p, fac[2:], tw, inverse, b)
    u = np.arange(m)
    if p == 2:
        a, c = fixdiv(out[o:o + m], 2, b), fixdiv(out[o + m:o + 2 * m], 2, b)
        t = cmul(c, tw[u * fstride], b)
        out[o + m:o + 2 * m] = wrap(a - t, b)
        out[o:o + m] = wrap(a + t, b)
        return
    if p == 3:
        _bfly3(out, o, m, fstride, tw, b)
        return
    if p == 5:
        _bfly5(out, o, m, fstride, tw, b)
        return
    f0, f1, f2, f3 = (fixdiv(out[o + k * m:o + (k + 1) * m], 4, b) for k in range(4))
    s0, s1, s2 = cmul(f1, tw[u * fstride], b), cmul(f2, tw[2 * u * fstride], b), cmul(f3, tw[3 * u * fstride], b)
    s5 = wrap(f0 - s1, b)
    f0 = wrap(f0 + s1, b)
    s3, s4 = wrap(s0 + s2, b), wrap(s0 - s2, b)
    out[o + 2 * m:o + 3 * m] = wrap(f0 - s3, b)
    out[o:o + m] = wrap(f0 + s3, b)
    sg = -1 if inverse else 1  # the inverse transform swaps the two rotated outputs
    out[o + m:o + 2 * m, 0] = wrap(s5[:, 0] + sg * s4[:, 1], b)
    out[o + m:o + 2 * m, 1] = wrap(s5[:, 1] - sg * s4[:, 0], b)
    out[o + 3 * m:o + 4 * m, 0] = wrap(s5[:, 0] - sg * s4[:, 1], b)
    out[o + 3 * m:o + 4 * m, 1] = wrap(s5[:, 1] + sg * s4[:, 0], b)


def smul(a: np.ndarray, c, b: int) -> np.ndarray:
    """S_MUL: one rounded product (float: the float32 product)."""
    if not b:
        return (np.asarray(a, np.float32) * np.float32(c)).astype(np.float32)
    return sround(np.asarray(a, np.int64) * int(c), b)


def _bfly3(out: np.ndarray, o: int, m: int, fstride: int, tw: np.ndarray, b: int) -> None:
    """kf_bfly3 over u = 0..m-1 (the inverse is in the twiddles)."""
    u = np.arange(m)
    epi3 = tw[fstride * m]
    f0, f1, f2 = (np.array(fixdiv(out[o + k * m:o + (k + 1) * m], 3, b)) for k in range(3))
    s1, s2 = cmul(f1, tw[u * fstride], b), cmul(f2, tw[2 * u * fstride], b)
    s3, s0 = wrap(s1 + s2, b), wrap(s1 - s2, b)
    h = np.stack([half(s3[:, 0], b), half(s3[:, 1], b)], -1)
    g1 = wrap(f0 - h, b)
    s0 = np.stack([smul(s0[:, 0], epi3[1], b), smul(s0[:, 1], epi3[1], b)], -1)
    out[o:o + m] = wrap(f0 + s3, b)
    out[o + 2 * m:o + 3 * m] = np.stack([wrap(g1[:, 0] + s0[:, 1], b), wrap(g1[:, 1] - s0[:, 0], b)], -1)
    out[o + m:o + 2 * m] = np.stack([wrap(g1[:, 0] - s0[:, 1], b), wrap(g1[:, 1] + s0[:, 0], b)], -1)


def _bfly5(out: np.ndarray, o: int, m: int, fstride: int, tw: np.ndarray, b: int) -> None:
    """kf_bfly5 over u = 0..m-1, sums in the reference's order (left to right)."""
    u = np.arange(m)
    ya, yb = tw[fstride * m], tw[2 * fstride * m]
    f = [np.array(fixdiv(out[o + k * m:o + (k + 1) * m], 5, b)) for k in range(5)]  # copies, not views of out
    s1, s2, s3, s4 = (cmul(f[k], tw[k * u * fstride], b) for k in range(1, 5))
    s7, s10, s8, s9 = wrap(s1 + s4, b), wrap(s1 - s4, b), wrap(s2 + s3, b), wrap(s2 - s3, b)
    out[o:o + m] = wrap(f[0] + (s7 + s8), b)

    def mul(v, c):
        return smul(v, c, b)

    s5 = np.stack([wrap(f[0][:, k] + mul(s7[:, k], ya[0]) + mul(s8[:, k], yb[0]), b) for k in (0, 1)], -1)
    s6 = np.stack([wrap(mul(s10[:, 1], ya[1]) + mul(s9[:, 1], yb[1]), b),
                   wrap(-mul(s10[:, 0], ya[1]) - mul(s9[:, 0], yb[1]), b)], -1)
    out[o + m:o + 2 * m] = wrap(s5 - s6, b)
    out[o + 4 * m:o + 5 * m] = wrap(s5 + s6, b)
    s11 = np.stack([wrap(f[0][:, k] + mul(s7[:, k], yb[0]) + mul(s8[:, k], ya[0]), b) for k in (0, 1)], -1)
    s12 = np.stack([wrap(-mul(s10[:, 1], yb[1]) + mul(s9[:, 1], ya[1]), b),
                    wrap(mul(s10[:, 0], yb[1]) - mul(s9[:, 0], ya[1]), b)], -1)
    out[o + 2 * m:o + 3 * m] = wrap(s11 + s12, b)
    out[o + 3 * m:o + 4 * m] = wrap(s11 - s12, b)


def rfft_row(x: np.ndarray, n: int, fac: list[int], tw: np.ndarray, sup: np.ndarray, b: int = 16) -> np.ndarray:
    """kiss_fftr: n real samples (zero-padded) -> n/2 + 1 (re, im) bins."""
    nc, dt = n // 2, (np.float32 if not b else np.int64)
    buf = np.zeros(n, dt)
    buf[:x.size] = x
    z = np.zeros((nc, 2), dt)
    _work(z, 0, buf.reshape(nc, 2), 0, 1, fac, np.asarray(tw, dt), False, b)
    out = np.zeros((nc + 1, 2), dt)
    tdc = fixdiv(z[0], 2, b)
    out[0] = [wrap(tdc[0] + tdc[1], b), 0]
    out[nc] = [wrap(tdc[0] - tdc[1], b), 0]
    k = np.arange(1, nc // 2 + 1)
    fpk = fixdiv(z[k], 2, b)
    fpnk = fixdiv(np.stack([z[nc - k, 0], wrap(-z[nc - k, 1], b)], -1), 2, b)
    f1k, f2k = wrap(fpk + fpnk, b), wrap(fpk - fpnk, b)
    t = cmul(f2k, np.asarray(sup, dt)[k - 1], b)
    lo = np.stack([half(f1k[:, 0] + t[:, 0], b), half(f1k[:, 1] + t[:, 1], b)], -1)
    hi = np.stack([half(f1k[:, 0] - t[:, 0], b), half(t[:, 1] - f1k[:, 1], b)], -1)
    out[k] = lo
    out[nc - k] = hi  # written after out[k]: the middle bin takes this value, as in KISS FFT
    return out.reshape(-1)


def irfft_row(z: np.ndarray, n: int, fac: list[int], tw: np.ndarray, sup: np.ndarray, b: int = 16) -> np.ndarray:
    """kiss_fftri: n/2 + 1 (re, im) bins -> n real samples (tables from twiddles(n/2, inverse=True))."""
    nc, dt = n // 2, (np.float32 if not b else np.int64)
    z = np.asarray(z, dt).reshape(-1, 2)[:nc + 1]
    tmp = np.zeros((nc, 2), dt)
    tmp[0] = fixdiv(wrap(np.array([z[0, 0] + z[nc, 0], z[0, 0] - z[nc, 0]]), b), 2, b)
    k = np.arange(1, nc // 2 + 1)
    fk = fixdiv(z[k], 2, b)
    fnkc = fixdiv(np.stack([z[nc - k, 0], wrap(-z[nc - k, 1], b)], -1), 2, b)
    fek, t = wrap(fk + fnkc, b), wrap(fk - fnkc, b)
    fok = cmul(t, np.asarray(sup, dt)[k - 1], b)
    tmp[k] = wrap(fek + fok, b)
    lo = wrap(fek - fok, b)
    tmp[nc - k] = np.stack([lo[:, 0], wrap(-lo[:, 1], b)], -1)  # after tmp[k]: the middle bin takes this one
    out = np.zeros((nc, 2), dt)
    _work(out, 0, tmp, 0, 1, fac, np.asarray(tw, dt), True, b)
    if not b:  # TFLite Micro's float Irfft divides by fft_length (the fixed-point ones do not)
        return out.reshape(-1) / np.float32(n)
    return out.reshape(-1)
