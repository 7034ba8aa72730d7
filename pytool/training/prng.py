"""numpy twin of runtime_c/include/odl/prng.h: the counter-based PRNG every
fixed-point training method keys by (seed, step, stream, tensor, element)."""

from __future__ import annotations

import numpy as np

_M = 0xFFFFFFFF


def mix32(x):
    """Bijective 32-bit mixer (odl_mix32); works on ints and uint32 arrays."""
    if isinstance(x, np.ndarray):
        x = x.astype(np.uint32)
        with np.errstate(over="ignore"):
            x ^= x >> np.uint32(16)
            x *= np.uint32(0x7FEB352D)
            x ^= x >> np.uint32(15)
            x *= np.uint32(0x846CA68B)
            x ^= x >> np.uint32(16)
        return x
    x &= _M
    x ^= x >> 16
    x = (x * 0x7FEB352D) & _M
    x ^= x >> 15
    x = (x * 0x846CA68B) & _M
    x ^= x >> 16
    return x


def prng_key(seed: int, step: int, stream: int, tensor: int) -> int:
    h = mix32((seed & _M) ^ 0x243F6A88)
    h = mix32(h ^ (step & _M))
    h = mix32(h ^ ((stream + 0x85A308D3) & _M))
    return mix32(h ^ ((tensor + 0x13198A2E) & _M))


def prng_words(key: int, count: int) -> np.ndarray:
    """odl_prng_word(key, c) for c in [0, count)."""
    c = np.arange(count, dtype=np.uint64)
    x = ((np.uint64(key) + c * np.uint64(0x9E3779B9)) & np.uint64(_M)).astype(np.uint32)
    return mix32(x)


def rademacher(key: int, n: int) -> np.ndarray:
    """odl_prng_sign for elements [0, n): int64 array of +1/-1."""
    words = prng_words(key, (n + 31) // 32)
    e = np.arange(n)
    bits = (words[e >> 5] >> (e & 31).astype(np.uint32)) & np.uint32(1)
    return 1 - 2 * bits.astype(np.int64)
