"""DEPTHWISE_CONV_2D. IR: inputs [x NHWC, w 1HW(C*M), (bias int32 [C*M])],
attrs {stride, dilation, padding, activation, depth_multiplier}. Output
channel c*M + m reads input channel c.

C (runtime_c/src/ops/depthwise_conv_2d.c): inputs [x, w, bias | None,
multiplier int32 [C*M], shift int32 [C*M]]; params [input_offset,
output_offset, act_min, act_max, stride_h, stride_w, dilation_h, dilation_w,
pad_h, pad_w, depth_multiplier].
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, conv_s16, f32
from pytool.ops.common import activation_float
from pytool.ops.conv_2d import lower_conv, pair, requantize, spatial, windows

OPCODE = 2
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)


def _shapes(g: Graph, op: Op) -> tuple[tuple, tuple, int]:
    x, w = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]]
    if len(x.shape) != 4 or len(w.shape) != 4 or w.shape[0] != 1:
        raise IRError(
            f"DEPTHWISE_CONV_2D '{op.name}': input {x.shape} must be NHWC, filter {w.shape} 1HW(C*M)"
        )
    m = int(op.attrs.get("depth_multiplier", w.shape[3] // max(x.shape[3], 1)))
    if m < 1 or w.shape[3] != x.shape[3] * m:
        raise IRError(
            f"DEPTHWISE_CONV_2D '{op.name}': filter channels {w.shape[3]} != input channels "
            f"{x.shape[3]} x depth_multiplier {m}"
        )
    return x.shape, w.shape, m


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    xs, ws, _ = _shapes(g, op)
    (oh, ow), _ = spatial(op, xs[1:3], ws[1:3], pair(op, "dilation"))
    return [(xs[0], oh, ow, ws[3])]


def macs(g: Graph, op: Op) -> int:
    n, oh, ow, o = g.tensors[op.outputs[0]].shape
    ws = g.tensors[op.inputs[1]].shape
    return n * oh * ow * o * ws[1] * ws[2]


def _depthwise(win: np.ndarray, w: np.ndarray, m: int) -> np.ndarray:
    """win [N,OH,OW,KH,KW,C], w [1,KH,KW,C*M] -> [N,OH,OW,C*M]."""
    return np.einsum("nyxhwc,hwc->nyxc", np.repeat(win, m, axis=-1), w[0])


def ref_float(g: Graph, op: Op, xs: list) -> list:
    x, w = np.asarray(xs[0], np.float64), np.asarray(xs[1], np.float64)
    _, _, m = _shapes(g, op)
    dil = pair(op, "dilation")
    out_hw, pad = spatial(op, x.shape[1:3], w.shape[1:3], dil)
    acc = _depthwise(windows(x, w.shape[1:3], pair(op, "stride"), dil, pad, out_hw), w, m)
    if len(xs) > 2 and xs[2] is not None:
        acc = acc + np.asarray(xs[2], np.float64)
    return [activation_float(acc, op.attrs.get("activation", "NONE")).astype(np.float32)]


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    _, ws, m = _shapes(g, op)
    if conv_s16.is_s16(g, op):
        return conv_s16.lower_conv(g, op, ws[3], [m], depthwise=True)
    return lower_conv(g, op, ws[3], [m])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    x, w, bias, mult, shift = xs
    in_off, out_off, amin, amax, sh, sw, dh, dw, ph, pw, m = low.params[:11]
    _, oh, ow, _ = g.tensors[op.outputs[0]].shape
    xi = np.asarray(x, np.int64) + in_off
    win = windows(xi, w.shape[1:3], (sh, sw), (dh, dw), (ph, pw), (oh, ow), fill=0)
    acc = _depthwise(win, np.asarray(w, np.int64), m)
    if low.opcode == conv_s16.DEPTHWISE_CONV_2D_S16:
        return [conv_s16.requantize(acc, bias, mult, shift, amin, amax)]
    return [requantize(acc, bias, mult, shift, out_off, amin, amax)]
