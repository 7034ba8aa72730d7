"""Range estimation (min/max, percentile, MSE-optimal clipping) and the
TFLite int8 parameter choices that turn a range into (scale, zero point)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

QMIN, QMAX = -128, 127
WEIGHT_QMAX = 127  # weights are symmetric in [-127, 127]
HIST_BINS = 2048
METHODS = ("minmax", "percentile", "mse")
# Scale used when a range is degenerate (all zeros): any positive value
# represents zero exactly, and 1.0 keeps every later ratio finite.
DEGENERATE_SCALE = 1.0


def round_half_away(x: np.ndarray) -> np.ndarray:
    """std::round semantics (numpy's round is half-to-even)."""
    x = np.asarray(x, dtype=np.float64)
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def asymmetric_params(rmin: float, rmax: float) -> tuple[float, int]:
    """TFLite's asymmetric int8 parameters for [rmin, rmax]: the range is
    widened to include 0, and the zero point is nudged to an integer taken
    from whichever end (min or max) gives the smaller rounding error."""
    rmin, rmax = min(float(rmin), 0.0), max(float(rmax), 0.0)
    if not np.isfinite(rmin) or not np.isfinite(rmax):
        raise ValueError(f"range [{rmin}, {rmax}] is not finite")
    if rmax - rmin <= 0.0:
        return DEGENERATE_SCALE, 0
    scale = (rmax - rmin) / (QMAX - QMIN)
    zp_from_min = QMIN - rmin / scale
    zp_from_max = QMAX - rmax / scale
    err_min = abs(QMIN) + abs(rmin / scale)
    err_max = abs(QMAX) + abs(rmax / scale)
    zp = zp_from_min if err_min < err_max else zp_from_max
    if zp <= QMIN:
        nudged = QMIN
    elif zp >= QMAX:
        nudged = QMAX
    else:
        nudged = int(round_half_away(zp))
    return float(np.float32(scale)), nudged


def symmetric_weight_scales(w: np.ndarray, axis: int | None) -> np.ndarray:
    """max|w| / 127 per channel along `axis` (or one scale when axis is None).

    An all-zero channel gets the smallest non-zero channel scale (or 1.0), so
    no division by zero happens and its (zero) weights stay exact.
    """
    if axis is None:
        amax = np.array([np.max(np.abs(w))]) if w.size else np.zeros(1)
    else:
        moved = np.moveaxis(np.abs(w), axis, 0).reshape(w.shape[axis], -1)
        amax = moved.max(axis=1) if moved.shape[1] else np.zeros(w.shape[axis])
    scales = amax.astype(np.float64) / WEIGHT_QMAX
    nonzero = scales[scales > 0]
    fill = nonzero.min() if nonzero.size else DEGENERATE_SCALE
    return np.where(scales > 0, scales, fill).astype(np.float32)


def quantize_array(x: np.ndarray, scale, zero_point, qmin: int = QMIN, qmax: int = QMAX,
                   axis: int | None = None) -> np.ndarray:
    """round(x / scale) + zero_point, clamped; per-channel along axis."""
    x = np.asarray(x, dtype=np.float64)
    s = np.asarray(scale, dtype=np.float64)
    z = np.asarray(zero_point, dtype=np.int64)
    if axis is not None and s.size > 1:
        shape = [1] * x.ndim
        shape[axis] = -1
        s, z = s.reshape(shape), z.reshape(shape)
    q = round_half_away(x / s) + z
    return np.clip(q, qmin, qmax).astype(np.int64)


@dataclass
class TensorStats:
    """Running statistics of one float tensor over the calibration set."""

    min: float = np.inf
    max: float = -np.inf
    count: int = 0
    hist: np.ndarray | None = None
    edges: np.ndarray | None = None
    extra: dict = field(default_factory=dict)

    def update_minmax(self, x: np.ndarray) -> None:
        if x.size:
            self.min = min(self.min, float(np.min(x)))
            self.max = max(self.max, float(np.max(x)))
            self.count += int(x.size)

    def start_histogram(self) -> None:
        lo, hi = self.min, self.max
        if not hi > lo:
            hi = lo + 1.0  # degenerate: one bin holds everything
        self.edges = np.linspace(lo, hi, HIST_BINS + 1)
        self.hist = np.zeros(HIST_BINS, np.int64)

    def update_histogram(self, x: np.ndarray) -> None:
        h, _ = np.histogram(np.ravel(x), bins=self.edges)
        self.hist += h


def _centers(stats: TensorStats) -> np.ndarray:
    return 0.5 * (stats.edges[:-1] + stats.edges[1:])


def percentile_range(stats: TensorStats, percentile: float) -> tuple[float, float]:
    """Clips |x| at its `percentile`-th percentile (from the histogram)."""
    if stats.hist is None or stats.hist.sum() == 0:
        return stats.min, stats.max
    mag = np.abs(_centers(stats))
    order = np.argsort(mag)
    cdf = np.cumsum(stats.hist[order]) / stats.hist.sum()
    k = int(np.searchsorted(cdf, percentile / 100.0))
    # The upper edge of the bin that reaches the percentile keeps that bin whole.
    width = stats.edges[1] - stats.edges[0]
    clip = float(mag[order[min(k, len(order) - 1)]] + width / 2)
    return max(stats.min, -clip), min(stats.max, clip)


def mse_range(stats: TensorStats, grid: int = 128) -> tuple[float, float]:
    """Chooses the clip value c (range [max(min,-c), min(max,c)]) that
    minimises the histogram-weighted int8 quantization MSE."""
    if stats.hist is None or stats.hist.sum() == 0:
        return stats.min, stats.max
    v = _centers(stats)
    n = stats.hist.astype(np.float64)
    amax = max(abs(stats.min), abs(stats.max))
    if amax == 0:
        return stats.min, stats.max
    best, best_err = (stats.min, stats.max), np.inf
    for c in amax * np.linspace(1.0 / grid, 1.0, grid):
        lo, hi = max(stats.min, -c), min(stats.max, c)
        s, z = asymmetric_params(lo, hi)
        q = np.clip(round_half_away(v / s) + z, QMIN, QMAX)
        err = float(np.sum(n * (v - (q - z) * s) ** 2))
        if err < best_err:
            best, best_err = (lo, hi), err
    return best


def choose_range(stats: TensorStats, method: str, percentile: float = 99.99) -> tuple[float, float]:
    if stats.count == 0:
        return 0.0, 0.0
    if method == "minmax":
        return stats.min, stats.max
    if method == "percentile":
        return percentile_range(stats, percentile)
    if method == "mse":
        return mse_range(stats)
    raise ValueError(f"unknown range method {method!r}; supported: {', '.join(METHODS)}")
