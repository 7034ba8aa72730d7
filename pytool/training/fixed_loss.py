"""numpy twin of runtime_c/src/train/loss.c: Q16.16 softmax cross-entropy and
MSE from int8 logits, integer operation for integer operation."""

from __future__ import annotations

import numpy as np

INT32_MIN = -(2**31)


def _exp2_frac_q16(f: int) -> int:
    p = 5158
    p = 14824 + ((p * f) >> 16)
    p = 45554 + ((p * f) >> 16)
    return 65536 + ((p * f) >> 16)


def exp_neg_q16(x: int) -> int:
    if x >= 0:
        return 65536
    y = (x * 94548) >> 16
    ip = y >> 16
    fp = y - (ip << 16)
    if ip < -30:
        return 0
    return _exp2_frac_q16(fp) >> (-ip)


def _cdiv(a: int, b: int) -> int:
    """C integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def ln_q16(x: int) -> int:
    if x <= 0:
        return INT32_MIN
    e = 0
    while x >= (2 << 16):
        x >>= 1
        e += 1
    while x < (1 << 16):
        x <<= 1
        e -= 1
    t = _cdiv((x - 65536) << 16, x + 65536)
    t2 = (t * t) >> 16
    p = 65536 // 7
    p = 65536 // 5 + ((p * t2) >> 16)
    p = 65536 // 3 + ((p * t2) >> 16)
    p = 65536 + ((p * t2) >> 16)
    ln_m = (2 * p * t) >> 16
    return _wrap32(e * 45426 + ln_m)


def _wrap32(v: int) -> int:
    return ((v + 2**31) % 2**32) - 2**31


def loss_q16(q: np.ndarray, zero_point: int, scale_q16: int, label: int, kind: str = "ce") -> tuple[int, int]:
    """(loss Q16.16, argmax) of int8 logits q, as odl_loss_q16 computes them."""
    q = [int(v) for v in np.asarray(q).reshape(-1)]
    n = len(q)
    if not 0 <= label < n:
        raise ValueError(f"label {label} out of range for {n} logits")
    best = 0
    for k in range(1, n):
        if q[k] > q[best]:
            best = k
    if kind == "mse":
        acc = 0
        for k in range(n):
            v = (q[k] - zero_point) * scale_q16 - (65536 if k == label else 0)
            acc += (v * v) >> 16
        return _wrap32(acc // n), best
    s = 0
    for k in range(n):
        s += exp_neg_q16(_wrap32((q[k] - q[best]) * scale_q16))
    d_label = _wrap32((q[label] - q[best]) * scale_q16)
    return _wrap32(ln_q16(s) - d_label), best


def ce_q16_values(v: list[int], label: int) -> int:
    """odl_ce_q16_values: cross-entropy of label over Q16.16 logit values (first maximum wins)."""
    best = max(range(len(v)), key=lambda k: (v[k], -k))
    s = sum(exp_neg_q16(v[k] - v[best]) for k in range(len(v)))
    return _wrap32(ln_q16(s) - (v[label] - v[best]))
