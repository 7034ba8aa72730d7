"""The digits adaptation task: data splits and a deterministic, numpy-only domain shift.

The factory model is trained on clean scikit-learn digits. In the field the same
digits arrive through a different "sensor": a slight rotation, thicker strokes, a
lower gain with a raised black level, and noise. `make_field` builds that field data
from samples the factory model never saw, so on-device training has something real
to recover.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits

SPLIT_SEED = 0
N_FACTORY_TRAIN = 1000
N_CLEAN_TEST = 300
# the remaining 497 samples form the field pool: FIELD_TRAIN_FRACTION to adapt on, the rest to test
FIELD_TRAIN_FRACTION = 0.5

ROTATION_DEG = 12.0
THICKEN_BLEND = 0.6
GAIN = 0.7
OFFSET = 0.2
NOISE_STD = 0.05


def load_scaled() -> tuple[np.ndarray, np.ndarray]:
    """All 1797 digits as float32 (N,8,8,1) in [0,1] and int64 labels."""
    d = load_digits()
    x = (d.images.astype(np.float32) / 16.0)[..., None]
    return x, d.target.astype(np.int64)


def split_indices(seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(factory_train, clean_test, field_pool) index arrays, disjoint and fixed by seed."""
    n = len(load_digits().target)
    order = np.random.default_rng(seed).permutation(n)
    a, b = N_FACTORY_TRAIN, N_FACTORY_TRAIN + N_CLEAN_TEST
    return order[:a], order[a:b], order[b:]


def rotate(img: np.ndarray, degrees: float) -> np.ndarray:
    """Bilinear rotation about the image centre of an (N,H,W) batch; outside is black."""
    _, h, w = img.shape
    t = np.deg2rad(degrees)
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    yy, xx = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
    # inverse map: where each output pixel samples the input
    sy = cy + (yy - cy) * np.cos(t) - (xx - cx) * np.sin(t)
    sx = cx + (yy - cy) * np.sin(t) + (xx - cx) * np.cos(t)
    y0, x0 = np.floor(sy).astype(int), np.floor(sx).astype(int)
    fy, fx = sy - y0, sx - x0
    padded = np.pad(img, ((0, 0), (1, 2), (1, 2)))  # out-of-range reads land on zeros

    def at(yi: np.ndarray, xi: np.ndarray) -> np.ndarray:
        yi = np.clip(yi + 1, 0, h + 2)
        xi = np.clip(xi + 1, 0, w + 2)
        return padded[:, yi, xi]

    out = (at(y0, x0) * (1 - fy) * (1 - fx) + at(y0, x0 + 1) * (1 - fy) * fx
           + at(y0 + 1, x0) * fy * (1 - fx) + at(y0 + 1, x0 + 1) * fy * fx)
    return out.astype(np.float32)


def max_filter3(img: np.ndarray) -> np.ndarray:
    """3x3 grey dilation of an (N,H,W) batch (zero border)."""
    _, h, w = img.shape
    p = np.pad(img, ((0, 0), (1, 1), (1, 1)))
    windows = [p[:, dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)]
    return np.max(np.stack(windows), axis=0)


def apply_shift(x: np.ndarray, seed: int) -> np.ndarray:
    """The field sensor: (N,8,8,1) float in [0,1] -> shifted (N,8,8,1) float32 in [0,1]."""
    rng = np.random.default_rng(seed)
    img = x[..., 0].astype(np.float32)
    img = rotate(img, ROTATION_DEG)
    img = np.maximum(img, THICKEN_BLEND * max_filter3(img))
    img = GAIN * img + OFFSET
    img = img + rng.normal(0.0, NOISE_STD, img.shape).astype(np.float32)
    return np.clip(img, 0.0, 1.0).astype(np.float32)[..., None]


def make_field(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(field_train_x, field_train_y, field_test_x, field_test_y) from the held-out pool.

    seed picks the noise and the train/test division of the pool; the split of the
    digits into factory/test/pool is fixed (SPLIT_SEED), so the factory model never
    sees a field sample.
    """
    x, y = load_scaled()
    _, _, pool = split_indices()
    order = np.random.default_rng(seed + 1).permutation(len(pool))
    pool = pool[order]
    n_train = int(round(len(pool) * FIELD_TRAIN_FRACTION))
    shifted = apply_shift(x[pool], seed + 2)
    return shifted[:n_train], y[pool[:n_train]], shifted[n_train:], y[pool[n_train:]]
