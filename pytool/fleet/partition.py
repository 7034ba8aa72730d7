"""Splitting a dataset across emulated devices: iid, or label-skewed with a
Dirichlet(alpha) share of every class per device (the usual non-IID
benchmark split). More devices than samples: each device gets one sample,
samples are reused round-robin (iid) or in label order (label-skew)."""

from __future__ import annotations

import numpy as np

MODES = ("iid", "label-skew")


def partition(y: np.ndarray, n_devices: int, mode: str = "iid", seed: int = 0,
              alpha: float = 0.5) -> list[np.ndarray]:
    if mode not in MODES:
        raise ValueError(f"--partition {mode!r}: choose iid or label-skew")
    if n_devices < 1:
        raise ValueError(f"--clients {n_devices}: at least one device")
    rng = np.random.default_rng(seed)
    n = len(y)
    if n_devices >= n:
        order = rng.permutation(n) if mode == "iid" else np.argsort(y, kind="stable")
        return [order[[i % n]] for i in range(n_devices)]
    if mode == "iid":
        return [np.sort(p) for p in np.array_split(rng.permutation(n), n_devices)]
    parts: list[list[int]] = [[] for _ in range(n_devices)]
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        share = rng.dirichlet(np.full(n_devices, alpha))
        cuts = (np.cumsum(share)[:-1] * len(idx)).astype(int)
        for d, chunk in enumerate(np.split(idx, cuts)):
            parts[d].extend(chunk.tolist())
    for d in range(n_devices):  # no empty device: take one sample from the largest
        if not parts[d]:
            big = max(range(n_devices), key=lambda k: len(parts[k]))
            parts[d].append(parts[big].pop())
    return [np.sort(np.array(p, np.int64)) for p in parts]
