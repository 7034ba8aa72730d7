"""Helpers shared by op modules: activation clamps, padding, quant lookups."""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op, QuantParams
from quantize.fixedpoint import tflite_round

QMIN = {"int8": -128, "uint8": 0, "int16": -32768, "int32": -(2**31)}
QMAX = {"int8": 127, "uint8": 255, "int16": 32767, "int32": 2**31 - 1}
ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")


def quant_of(g: Graph, name: str, op: Op | None = None) -> QuantParams:
    q = g.tensors[name].quant
    if q is None:
        where = f"{op.type} " if op else ""
        raise IRError(f"{where}tensor '{name}' has no quantization parameters")
    return q


def activation_range_quantized(activation: str, scale: float, zero_point: int, dtype: str = "int8") -> tuple[int, int]:
    """TFLite CalculateActivationRangeQuantized (float32 division, std::round)."""
    lo, hi = QMIN[dtype], QMAX[dtype]
    s = np.float32(scale)

    def q(f: float) -> int:
        return int(zero_point) + tflite_round(float(np.float32(f) / s))

    if activation == "RELU":
        return max(lo, q(0.0)), hi
    if activation == "RELU6":
        return max(lo, q(0.0)), min(hi, q(6.0))
    if activation == "RELU_N1_TO_1":
        return max(lo, q(-1.0)), min(hi, q(1.0))
    if activation in ("NONE", None):
        return lo, hi
    raise IRError(f"unsupported fused activation {activation!r}; supported: {', '.join(ACTIVATIONS)}")


def activation_float(x: np.ndarray, activation: str) -> np.ndarray:
    if activation == "RELU":
        return np.maximum(x, 0)
    if activation == "RELU6":
        return np.clip(x, 0, 6)
    if activation == "RELU_N1_TO_1":
        return np.clip(x, -1, 1)
    return x


def conv_out_size(size: int, filt: int, stride: int, dilation: int, padding: str) -> int:
    eff = (filt - 1) * dilation + 1
    if padding == "SAME":
        return (size + stride - 1) // stride
    if padding == "VALID":
        return (size - eff + stride) // stride
    raise IRError(f"unknown padding {padding!r} (SAME or VALID)")


def conv_pad(size: int, filt: int, stride: int, dilation: int, padding: str) -> int:
    """Leading (top/left) padding as TFLite's ComputePaddingHeightWidth."""
    out = conv_out_size(size, filt, stride, dilation, padding)
    eff = (filt - 1) * dilation + 1
    total = max(0, (out - 1) * stride + eff - size)
    return total // 2


def broadcast_views4(a: tuple, b: tuple, y: tuple) -> tuple[tuple, tuple, tuple] | None:
    """The C's odl_broadcast_views4: right-aligned shapes with the output's
    size-1 axes dropped and neighbouring axes that a and b each span or
    broadcast alike merged (element order unchanged), padded to rank 4; None
    when more than four axes remain."""
    r = len(y)
    a = (1,) * (r - len(a)) + tuple(a)
    b = (1,) * (r - len(b)) + tuple(b)
    groups: list[list[int]] = []
    last = None
    for da, db, dy in zip(a, b, y):
        if dy == 1:
            continue
        pat = (da == dy, db == dy)
        if pat != last:
            groups.append([1, 1, 1])
            last = pat
        g = groups[-1]
        g[0], g[1], g[2] = g[0] * da, g[1] * db, g[2] * dy
    if len(groups) > 4:
        return None
    pad = [[1, 1, 1]] * (4 - len(groups)) + groups
    return tuple(tuple(int(g[k]) for g in pad) for k in range(3))
