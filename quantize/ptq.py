"""Post-training int8 quantization to the TFLite int8 spec.

- weights: symmetric int8 in [-127, 127], per channel (axis 0 for conv OHWI
  and fully connected [out, in], axis 3 for depthwise 1HW(C*M)) or per tensor;
- bias: int32, scale s_in * s_w[c], zero point 0;
- activations (and graph inputs/outputs): per-tensor asymmetric int8, the
  range widened to include 0 and the zero point nudged as TFLite does;
- SOFTMAX and LOGISTIC outputs: scale 1/256, zero point -128;
- ops that move values without arithmetic (RESHAPE, MAX_POOL_2D,
  AVERAGE_POOL_2D, PAD, TRANSPOSE, CONCATENATION) share one scale/zero point
  between their inputs and outputs, as the spec requires.
Ranges come from running the float graph over the calibration set.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable

import numpy as np

from pytool.ir import Graph, IRError, QuantParams
from pytool.reference import run_float
from quantize.calib import normalize_calibration
from quantize.lstm import cell_peaks, lstm_consts, quantize_lstms
from quantize.ranges import (
    METHODS,
    QMAX,
    QMIN,
    TensorStats,
    asymmetric_params,
    choose_range,
    quantize_array,
    round_half_away,
    symmetric_weight_scales,
)
from quantize.report import QuantReport, build_report

WEIGHT_OPS = {"CONV_2D": 0, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": 0, "TRANSPOSE_CONV": 0}  # weight axis
# (weights, bias, data input) positions where they differ from (1, 2, 0)
WEIGHT_INPUTS = {"TRANSPOSE_CONV": (1, 3, 2)}
SHARED_QUANT_OPS = ("RESHAPE", "MAX_POOL_2D", "AVERAGE_POOL_2D", "PAD", "TRANSPOSE", "CONCATENATION",
                    "RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR", "STRIDED_SLICE", "SLICE", "SQUEEZE",
                    "EXPAND_DIMS", "MAXIMUM", "MINIMUM", "DYNAMIC_UPDATE_SLICE")
FIXED_OUTPUT_QUANT = {"SOFTMAX": (1.0 / 256.0, -128), "LOGISTIC": (1.0 / 256.0, -128), "TANH": (1.0 / 128.0, 0)}
INT32_MAX = 2**31 - 1


def _progress(items: list, description: str, enabled: bool):
    if not enabled:
        return items
    from rich.progress import track

    return track(items, description=description, transient=True)


def _activation_names(g: Graph) -> list[str]:
    """Float tensors computed at run time (graph inputs and op outputs)."""
    names = [n for n in g.inputs if g.tensors[n].dtype == "float32"]
    for op in g.ops:
        names += [n for n in op.outputs if g.tensors[n].dtype == "float32" and n not in names]
    return names


def _weight_roles(g: Graph) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, str, str]]]:
    """weights: name -> (op index, channel axis); biases: name -> (op index, input, weights)."""
    weights, biases = {}, {}
    for i, op in enumerate(g.ops):
        if op.type not in WEIGHT_OPS:
            continue
        wi, bi, xi = WEIGHT_INPUTS.get(op.type, (1, 2, 0))
        if len(op.inputs) <= wi or not g.tensors[op.inputs[wi]].is_const:
            raise IRError(f"{op.label(i)}: weights must be a constant tensor to be quantized")
        w = op.inputs[wi]
        if w in weights or w in biases:
            raise IRError(f"{op.label(i)}: weights '{w}' are shared with another op; not supported")
        weights[w] = (i, WEIGHT_OPS[op.type])
        if len(op.inputs) > bi:
            b = op.inputs[bi]
            if not g.tensors[b].is_const:
                raise IRError(f"{op.label(i)}: bias '{b}' must be a constant tensor to be quantized")
            if b in biases or b in weights:
                raise IRError(f"{op.label(i)}: bias '{b}' is shared with another op; not supported")
            biases[b] = (i, op.inputs[xi], w)
    return weights, biases


class _Groups:
    """Union-find over tensor names that must share quantization."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, n: str) -> str:
        self.parent.setdefault(n, n)
        while self.parent[n] != n:
            self.parent[n] = self.parent[self.parent[n]]
            n = self.parent[n]
        return n

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


def _shared_groups(g: Graph, quantizable: set[str]) -> _Groups:
    groups = _Groups()
    for op in g.ops:
        if op.type not in SHARED_QUANT_OPS:
            continue
        data_inputs = op.inputs if op.type == "CONCATENATION" else op.inputs[:2] if op.type in (
            "MAXIMUM", "MINIMUM", "DYNAMIC_UPDATE_SLICE") else op.inputs[:1]
        for n in data_inputs + op.outputs[:1]:
            if n in quantizable:
                groups.union(n, op.outputs[0])
    return groups


def collect_stats(g: Graph, feeds: list[list[np.ndarray]], method: str, progress: bool) -> dict[str, TensorStats]:
    """Min/max (and, for percentile/mse, a histogram) of every float activation."""
    names = _activation_names(g)
    stats = {n: TensorStats() for n in names}
    for feed in _progress(feeds, "calibrating (ranges)", progress):
        vals = run_float(g, feed, keep_all=True)
        for n in names:
            stats[n].update_minmax(vals[n])
    if method != "minmax":
        for s in stats.values():
            s.start_histogram()
        for feed in _progress(feeds, "calibrating (histograms)", progress):
            vals = run_float(g, feed, keep_all=True)
            for n in names:
                stats[n].update_histogram(vals[n])
    return stats


def _quantize_weights(gq: Graph, weights: dict, biases: dict, act_params: dict, per_channel: bool) -> None:
    # Bias scales depend on weight scales, and a bias too large for int32 at
    # s_in * s_w widens that channel's weight scale (as TFLite's converter does).
    by_weights = {w: b for b, (_, _, w) in biases.items()}
    for w, (_, axis) in weights.items():
        t = gq.tensors[w]
        data = t.data.astype(np.float64)
        scales = symmetric_weight_scales(data, axis if per_channel else None).astype(np.float64)
        b = by_weights.get(w)
        if b is not None:
            s_in = float(act_params[biases[b][1]][0])
            bias = gq.tensors[b].data.astype(np.float64)
            need = np.abs(bias) / (s_in * INT32_MAX)
            if per_channel:
                scales = np.maximum(scales, need * (1 + 1e-6))
            else:
                scales = np.maximum(scales, need.max(initial=0.0) * (1 + 1e-6))
        scales = scales.astype(np.float32)
        q = quantize_array(data, scales, 0, -QMAX, QMAX, axis if per_channel else None)
        t.data, t.dtype = q.astype(np.int8), "int8"
        t.quant = QuantParams(scales, np.zeros(scales.size, np.int64), axis if per_channel else 0)
        if b is not None:
            s_in = np.float64(np.float32(act_params[biases[b][1]][0]))
            bias_scale = (s_in * scales.astype(np.float64)).astype(np.float32)
            bt = gq.tensors[b]
            qb = np.clip(
                round_half_away(bt.data.astype(np.float64) / bias_scale.astype(np.float64)), -INT32_MAX, INT32_MAX
            )
            bt.data, bt.dtype = qb.astype(np.int32), "int32"
            bt.quant = QuantParams(bias_scale, np.zeros(bias_scale.size, np.int64), 0)


def quantize_graph(
    g_float: Graph,
    calib: Iterable,
    method: str = "minmax",
    per_channel: bool = True,
    progress: bool = True,
    percentile: float = 99.99,
    report_samples: int | None = None,
) -> tuple[Graph, QuantReport]:
    """Float IR graph -> (int8 IR graph, per-layer report).

    calib: iterable of calibration items (see quantize.calib.normalize_calibration).
    report_samples: how many calibration samples the SQNR/clipping report
    runs (None: all of them).
    """
    if method not in METHODS:
        raise ValueError(f"unknown range method {method!r}; supported: {', '.join(METHODS)}")
    if not 50.0 < percentile <= 100.0:
        raise ValueError(f"percentile must be in (50, 100], got {percentile}")
    if g_float.is_quantized:
        raise IRError(f"{g_float.source or g_float.name}: the graph is already quantized")
    t0 = time.perf_counter()
    feeds = normalize_calibration(g_float, calib)
    stats = collect_stats(g_float, feeds, method, progress)

    weights, biases = _weight_roles(g_float)
    own = lstm_consts(g_float)  # quantized by quantize_lstms
    float_consts = [
        n for n, t in g_float.tensors.items()
        if t.is_const and t.dtype == "float32" and n not in weights and n not in biases and n not in own
    ]
    for n in float_consts:  # constant operands (e.g. of ADD/MUL) get their own range
        s = TensorStats()
        s.update_minmax(g_float.tensors[n].data)
        stats[n] = s
    quantizable = set(stats)

    # Per-tensor ranges, then merged over groups that must share quantization.
    ranges = {
        n: choose_range(stats[n], method if n not in float_consts else "minmax", percentile) for n in quantizable
    }
    groups = _shared_groups(g_float, quantizable)
    group_range: dict[str, tuple[float, float]] = {}
    for n, (lo, hi) in ranges.items():
        root = groups.find(n)
        glo, ghi = group_range.get(root, (np.inf, -np.inf))
        group_range[root] = (min(glo, lo), max(ghi, hi))
    fixed: dict[str, tuple[float, int]] = {}
    for op in g_float.ops:
        if op.type in FIXED_OUTPUT_QUANT and op.outputs[0] in quantizable:
            root = groups.find(op.outputs[0])
            want = FIXED_OUTPUT_QUANT[op.type]
            if fixed.get(root, want) != want:
                raise IRError(f"{op.type} output '{op.outputs[0]}' needs two different fixed quantizations")
            fixed[root] = want
    act_params: dict[str, tuple[float, int]] = {}
    for n in quantizable:
        root = groups.find(n)
        act_params[n] = fixed[root] if root in fixed else asymmetric_params(*group_range[root])

    gq = copy.deepcopy(g_float)
    for n in quantizable:
        t = gq.tensors[n]
        scale, zp = act_params[n]
        t.quant = QuantParams.per_tensor(scale, zp)
        if t.is_const:
            t.data = quantize_array(t.data, scale, zp).astype(np.int8)
        t.dtype = "int8"
    _quantize_weights(gq, weights, biases, act_params, per_channel)
    quantize_lstms(gq, act_params, cell_peaks(g_float, feeds))
    leftover = [n for n, t in gq.tensors.items() if t.dtype == "float32"]
    if leftover:
        raise IRError(f"tensors left in float32 after quantization: {', '.join(leftover)}")
    gq.meta = dict(gq.meta)
    gq.meta["quantization"] = {
        "method": method,
        "per_channel": per_channel,
        "inputs": {n: act_params[n] for n in gq.inputs},
        "outputs": {n: act_params[n] for n in gq.outputs},
    }
    gq.validate()
    quant_time = time.perf_counter() - t0

    report_feeds = feeds if report_samples is None else feeds[: max(1, report_samples)]
    report = build_report(g_float, gq, report_feeds, progress)
    report.method, report.per_channel = method, per_channel
    report.quantize_seconds = quant_time
    report.calibration_samples = len(feeds)
    return gq, report


def quantize_inputs(gq: Graph, feed: list[np.ndarray]) -> list[np.ndarray]:
    """Float inputs -> int8 with each graph input's scale/zero point
    (TFLite's QUANTIZE: float32 division, round half away from zero)."""
    out = []
    for n, x in zip(gq.inputs, feed):
        q = gq.tensors[n].quant
        v = np.asarray(x, np.float32) / np.float32(q.scale[0])
        r = np.sign(v) * np.floor(np.abs(v) + np.float32(0.5))
        out.append(np.clip(r.astype(np.int64) + int(q.zero_point[0]), QMIN, QMAX).astype(np.int8))
    return out


def dequantize(gq: Graph, name: str, q: np.ndarray) -> np.ndarray:
    qp = gq.tensors[name].quant
    return ((np.asarray(q, np.float64) - int(qp.zero_point[0])) * float(qp.scale[0])).astype(np.float32)
