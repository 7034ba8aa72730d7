"""odl_logf's numpy twin: glibc's logf algorithm (ARM optimized-routines,
also in runtime_c/src/kernels/float32/logf.c). x = 2^k z with z in
[0x3f330000, 2 * that); the top 4 mantissa bits past that offset pick c;
log(x) = k ln2 + log(c) + log1p(z / c - 1), the last a cubic, all in double
without fused multiply-adds. The 16 (1/c, log c) pairs and the coefficients
are glibc's published constants (glibc's logf data), as hex doubles.
"""

from __future__ import annotations

import numpy as np

INVC = np.array([float.fromhex(h) for h in (
    "0x1.661ec79f8f3bep+0", "0x1.571ed4aaf883dp+0", "0x1.49539f0f010b0p+0", "0x1.3c995b0b80385p+0",
    "0x1.30d190c8864a5p+0", "0x1.25e227b0b8ea0p+0", "0x1.1bb4a4a1a343fp+0", "0x1.12358f08ae5bap+0",
    "0x1.0953f419900a7p+0", "0x1.0000000000000p+0", "0x1.e608cfd9a47acp-1", "0x1.ca4b31f026aa0p-1",
    "0x1.b2036576afce6p-1", "0x1.9c2d163a1aa2dp-1", "0x1.886e6037841edp-1", "0x1.767dcf5534862p-1")])
LOGC = np.array([float.fromhex(h) for h in (
    "-0x1.57bf7808caadep-2", "-0x1.2bef0a7c06ddbp-2", "-0x1.01eae7f513a67p-2", "-0x1.b31d8a68224e9p-3",
    "-0x1.6574f0ac07758p-3", "-0x1.1aa2bc79c8100p-3", "-0x1.a4e76ce8c0e5ep-4", "-0x1.1973c5a611cccp-4",
    "-0x1.252f438e10c1ep-5", "0x0p+0", "0x1.aa5aa5df25984p-5", "0x1.c5e53aa362eb4p-4",
    "0x1.526e57720db08p-3", "0x1.bc2860d224770p-3", "0x1.1058bc8a07ee1p-2", "0x1.4043057b6ee09p-2")])
LN2 = float.fromhex("0x1.62e42fefa39efp-1")
A0, A1, A2 = (float.fromhex(h) for h in ("-0x1.00ea348b88334p-2", "0x1.5575b0be00b6ap-2", "-0x1.ffffef20a4123p-2"))


def logf(x) -> np.ndarray:
    """Element-wise, float32 in and out."""
    x = np.ascontiguousarray(x, np.float32)
    ix = x.view(np.uint32).astype(np.uint64)
    sub = (ix > 0) & (ix < 0x00800000)
    with np.errstate(over="ignore"):
        norm = (x * np.float32(2**23)).view(np.uint32).astype(np.uint64)
    ix = np.where(sub, norm - (23 << 23), ix)
    tmp = (ix - 0x3F330000) & 0xFFFFFFFF
    i = (tmp >> 19) % 16
    k = tmp.astype(np.uint32).view(np.int32).astype(np.int64) >> 23
    iz = (ix - (tmp & 0xFF800000)) & 0xFFFFFFFF
    z = iz.astype(np.uint32).view(np.float32).astype(np.float64)
    r = z * INVC[i] - 1.0
    y0 = LOGC[i] + k.astype(np.float64) * LN2
    r2 = r * r
    y = A1 * r + A2
    y = A0 * r2 + y
    y = (y * r2 + (y0 + r)).astype(np.float32)
    bits = x.view(np.uint32)
    with np.errstate(all="ignore"):
        invalid = (x - x) / (x - x)  # negatives and NaN, as glibc computes them (the target's default NaN)
    y = np.where((bits & 0x80000000) | (bits > 0x7F800000), invalid, y)
    y = np.where(bits == 0x7F800000, np.float32(np.inf), y)
    y = np.where((bits & 0x7FFFFFFF) == 0, np.float32(-np.inf), y)
    return np.where(bits == 0x3F800000, np.float32(0), y).astype(np.float32).reshape(x.shape)
