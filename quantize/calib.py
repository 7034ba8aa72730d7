"""Calibration data: loading (.npz or a folder of .npy) and checking it
against a graph's inputs, one feed (a list of arrays, one per graph input,
each exactly the input's shape) per executor run."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from pytool.ir import Graph


class CalibrationError(ValueError):
    """Calibration data that cannot drive the graph; names the input."""


def load_calibration(path: str | Path) -> list[np.ndarray]:
    """An .npz (key 'x' if present, else its single array) or a folder of
    .npy files (sorted by name). Returns the arrays, one per item."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.npy"))
        if not files:
            raise CalibrationError(f"{path}: the calibration folder holds no .npy files")
        from pytool.data import DataError, read_array

        try:
            return [read_array(f, "x", "calibration") for f in files]
        except DataError as e:
            raise CalibrationError(str(e)) from None
    if not path.exists():
        raise CalibrationError(f"{path}: calibration file does not exist")
    from pytool.data import DataError, read_array

    try:
        return [read_array(path, "x", "calibration")]
    except DataError as e:
        raise CalibrationError(str(e)) from None


# A value this many times the data's 99th percentile magnitude would set the
# int8 range on its own and leave the real data a handful of levels.
OUTLIER_FACTOR = 1000.0


def _check_outliers(arr: np.ndarray, name: str, index: int) -> None:
    mag = np.abs(arr.astype(np.float64)).ravel()
    if mag.size == 0:
        return
    top = float(mag.max())
    p99 = float(np.percentile(mag, 99))
    if top > 1e6 or (p99 > 0 and top > OUTLIER_FACTOR * p99):
        raise CalibrationError(
            f"calibration item {index}, input '{name}': value {top:.4g} is an extreme outlier "
            f"(99% of values are within {p99:.4g}); it would set the int8 range on its own"
        )


def _split(g: Graph, name: str, arr: np.ndarray, index: int) -> list[np.ndarray]:
    """One array for one input -> a list of arrays of exactly the input shape."""
    want = g.tensors[name].shape
    if not np.issubdtype(arr.dtype, np.floating):
        raise CalibrationError(
            f"calibration item {index}, input '{name}': expected float data (float32), got {arr.dtype}"
        )
    arr = arr.astype(np.float32)
    if not np.all(np.isfinite(arr)):
        raise CalibrationError(f"calibration item {index}, input '{name}': contains NaN or infinite values")
    _check_outliers(arr, name, index)
    if arr.shape == want:
        return [arr]
    if len(want) >= 1 and arr.shape == want[1:]:
        return [arr[None]]
    if len(want) >= 1 and arr.ndim == len(want) and arr.shape[1:] == want[1:] and want[0] == 1:
        return [arr[k:k + 1] for k in range(arr.shape[0])]  # a batch of samples for a batch-1 graph
    raise CalibrationError(
        f"calibration item {index}, input '{name}': expected shape {list(want)} "
        f"(or [N, {', '.join(map(str, want[1:]))}] samples), got {list(arr.shape)}"
    )


def normalize_calibration(g: Graph, calib: Iterable) -> list[list[np.ndarray]]:
    """Accepts an iterable of items; an item is an array (single-input graphs),
    a list/tuple with one array per input, or a dict input name -> array."""
    if calib is None:
        raise CalibrationError("the calibration set is empty (got None)")
    if isinstance(calib, np.ndarray):
        calib = [calib]
    feeds: list[list[np.ndarray]] = []
    for index, item in enumerate(calib):
        if isinstance(item, dict):
            missing = [n for n in g.inputs if n not in item]
            if missing:
                raise CalibrationError(f"calibration item {index}: no data for input(s) {', '.join(missing)}")
            arrays = [np.asarray(item[n]) for n in g.inputs]
        elif isinstance(item, list | tuple):
            arrays = [np.asarray(a) for a in item]
        else:
            arrays = [np.asarray(item)]
        if len(arrays) != len(g.inputs):
            raise CalibrationError(
                f"calibration item {index}: the graph has {len(g.inputs)} input(s) "
                f"({', '.join(g.inputs)}), got {len(arrays)} array(s)"
            )
        per_input = [_split(g, n, a, index) for n, a in zip(g.inputs, arrays)]
        counts = {len(p) for p in per_input}
        if len(counts) != 1:
            raise CalibrationError(f"calibration item {index}: inputs hold different numbers of samples")
        feeds.extend([list(run) for run in zip(*per_input)])
    if not feeds:
        raise CalibrationError("the calibration set is empty: at least one input sample is needed")
    return feeds
