"""Quantization of UNIDIRECTIONAL_SEQUENCE_LSTM to TFLite's integer 8x8->16
LSTM: int8 per-tensor symmetric weights, int32 gate biases at s_x * s_w (the
input FC's scale, as TFLite folds the bias there), the int8 hidden state
sharing the output's scale and zero point (the op copies it to the output),
and an int16 cell state with a power-of-two scale.

The cell scale is the power of two that covers the largest |c| the float
graph reaches over the calibration set (as TFLite's converter calibrates
it), capped by min(steps, cell_clip): each step adds i*g in (-1, 1) to f*c
with f in (0, 1), so |c| never exceeds the number of steps.
"""

from __future__ import annotations

import math

import numpy as np

from pytool.ir import Graph, QuantParams
from quantize.ranges import QMAX, quantize_array, round_half_away, symmetric_weight_scales

LSTM = "UNIDIRECTIONAL_SEQUENCE_LSTM"
_W, _B, _H, _C = range(1, 9), range(9, 13), 13, 14


def lstm_consts(g: Graph) -> set[str]:
    """Weights and biases the LSTM quantizes itself (not generic constants)."""
    return {op.inputs[k] for op in g.ops if op.type == LSTM for k in (*_W, *_B)}


def _per_tensor_int8(t) -> float:
    data = t.data.astype(np.float64)
    scale = np.float32(symmetric_weight_scales(data, None).reshape(-1)[0])
    t.data = quantize_array(data, scale, 0, -QMAX, QMAX).astype(np.int8)
    t.dtype, t.quant = "int8", QuantParams.per_tensor(float(scale), 0)
    return float(scale)


def cell_scale(g: Graph, op, peak: float | None = None) -> float:
    xs = g.tensors[op.inputs[0]].shape
    steps = xs[0] if op.attrs.get("time_major", False) else xs[1]
    clip = float(op.attrs.get("cell_clip", 0.0))
    bound = min(float(steps), clip) if clip > 0 else float(steps)
    if peak is not None:
        bound = min(bound, max(peak, 2.0**-6))
    return 2.0 ** math.ceil(math.log2(bound)) / 32768.0


def cell_peaks(g: Graph, feeds: list) -> dict[str, float]:
    """Largest float |cell state| per LSTM op (by output name) over the feeds."""
    from pytool.ops import unidirectional_sequence_lstm as spec
    from pytool.reference import run_float

    ops = [op for op in g.ops if op.type == LSTM]
    peaks = dict.fromkeys((op.outputs[0] for op in ops), 0.0)
    for feed in feeds if ops else []:
        vals = run_float(g, feed, keep_all=True)
        for op in ops:
            p = spec.cell_peak(g, op, [vals[n] for n in op.inputs])
            peaks[op.outputs[0]] = max(peaks[op.outputs[0]], p)
    return peaks


def quantize_lstms(gq: Graph, act_params: dict[str, tuple[float, int]], peaks: dict[str, float]) -> None:
    variables = gq.meta.setdefault("variables", {})
    for op in gq.ops:
        if op.type != LSTM:
            continue
        s_x = np.float64(np.float32(act_params[op.inputs[0]][0]))
        for k in range(4):
            s_w = _per_tensor_int8(gq.tensors[op.inputs[1 + k]])
            _per_tensor_int8(gq.tensors[op.inputs[5 + k]])
            bt = gq.tensors[op.inputs[9 + k]]
            s_b = np.float32(s_x * np.float64(s_w))
            q = round_half_away(bt.data.astype(np.float64) / np.float64(s_b))
            bt.data, bt.dtype = np.clip(q, -(2**31 - 1), 2**31 - 1).astype(np.int32), "int32"
            bt.quant = QuantParams.per_tensor(float(s_b), 0)
        s_y, z_y = act_params[op.outputs[0]]
        h, c = gq.tensors[op.inputs[_H]], gq.tensors[op.inputs[_C]]
        h.dtype, h.quant = "int8", QuantParams.per_tensor(s_y, z_y)
        c.dtype, c.quant = "int16", QuantParams.per_tensor(cell_scale(gq, op, peaks.get(op.outputs[0])), 0)
        variables[h.name] = np.full(h.shape, z_y, np.int8)
        variables[c.name] = np.zeros(c.shape, np.int16)
