"""Data layout conversion between ONNX's NCHW and the IR's NHWC."""

from __future__ import annotations

import numpy as np


def nchw_to_nhwc(x: np.ndarray) -> np.ndarray:
    """Channels-first to channels-last for any rank >= 3 (N, C, *spatial)."""
    x = np.asarray(x)
    if x.ndim < 3:
        return x
    return np.ascontiguousarray(np.moveaxis(x, 1, -1))


def nhwc_to_nchw(x: np.ndarray) -> np.ndarray:
    """Channels-last to channels-first for any rank >= 3 (N, *spatial, C)."""
    x = np.asarray(x)
    if x.ndim < 3:
        return x
    return np.ascontiguousarray(np.moveaxis(x, -1, 1))


def perm_nchw_to_nhwc(rank: int) -> list[int]:
    """Axis permutation taking an NCHW tensor to NHWC (identity below rank 3)."""
    if rank < 3:
        return list(range(rank))
    return [0, *range(2, rank), 1]


def axis_nchw_to_nhwc(axis: int, rank: int) -> int:
    """Where an NCHW axis lands after the NHWC transpose."""
    axis = axis + rank if axis < 0 else axis
    if rank < 3:
        return axis
    return perm_nchw_to_nhwc(rank).index(axis)
