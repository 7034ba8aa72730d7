"""TRANSPOSE_CONV. IR: inputs [output_shape const, w OHWI, x NHWC, (bias)],
attrs {stride:(h,w), padding, activation}.

C (runtime_c/src/ops/transpose_conv.c, int8 or 16x8): inputs [x, w, bias |
None, multiplier int32 [O], shift int32 [O]]; params [input_offset,
output_offset, act_min, act_max, stride_h, stride_w, pad_h, pad_w]. The
padding is TFLite's ComputePaddingHeightWidth applied with the output size as
the "input" size, as TFLite Micro's Prepare does; int16 accumulates in int64
and rescales with the 64-bit MultiplyByQuantizedMultiplier.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32
from pytool.ops.common import activation_float, activation_range_quantized, conv_pad, quant_of
from pytool.ops.conv_2d import channel_multipliers, pair
from pytool.ops.conv_s16 import mbqm64
from quantize.fixedpoint import multiply_by_quantized_multiplier

OPCODE = 33
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)


def _out_shape(g: Graph, op: Op) -> tuple:
    t = g.tensors[op.inputs[0]]
    if t.data is None:
        raise IRError(f"TRANSPOSE_CONV '{op.name}': output_shape (input 0) must be a constant")
    return tuple(int(v) for v in np.asarray(t.data).reshape(-1))


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [_out_shape(g, op)]


def macs(g: Graph, op: Op) -> int:
    x, w = g.tensors[op.inputs[2]].shape, g.tensors[op.inputs[1]].shape
    return int(np.prod(x)) * w[0] * w[1] * w[2]


def _pads(g: Graph, op: Op) -> tuple[int, int]:
    out, w = _out_shape(g, op), g.tensors[op.inputs[1]].shape
    stride, padding = pair(op, "stride"), op.attrs.get("padding", "VALID")
    return conv_pad(out[1], w[1], stride[0], 1, padding), conv_pad(out[2], w[2], stride[1], 1, padding)


def _accumulate(x: np.ndarray, w: np.ndarray, out_shape, stride, pads) -> np.ndarray:
    """Scatter every input tap into the output (TFLite's order; integer sums commute)."""
    n, h, wd, _ = x.shape
    o, kh, kw, _ = w.shape
    acc = np.zeros((n, out_shape[1] + kh + stride[0] * h, out_shape[2] + kw + stride[1] * wd, o), np.float64
                   if x.dtype.kind == "f" else np.int64)
    off_y, off_x = kh + 0, kw + 0  # keep negative origins in range
    for ky in range(kh):
        for kx in range(kw):
            contrib = np.tensordot(x, w[:, ky, kx, :], axes=([3], [1]))  # n, h, w, o
            ys = off_y + np.arange(h) * stride[0] - pads[0] + ky
            xs = off_x + np.arange(wd) * stride[1] - pads[1] + kx
            acc[:, ys[:, None], xs[None, :], :] += contrib
    return acc[:, off_y: off_y + out_shape[1], off_x: off_x + out_shape[2], :]


def ref_float(g: Graph, op: Op, xs: list) -> list:
    w, x = np.asarray(xs[1], np.float64), np.asarray(xs[2], np.float64)
    acc = _accumulate(x, w, _out_shape(g, op), pair(op, "stride"), _pads(g, op))
    if len(xs) > 3 and xs[3] is not None:
        acc = acc + np.asarray(xs[3], np.float64)
    return [activation_float(acc, op.attrs.get("activation", "NONE")).astype(np.float32)]


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    w, x, y = op.inputs[1], op.inputs[2], op.outputs[0]
    bias = op.inputs[3] if len(op.inputs) > 3 else None
    dtype = g.tensors[x].dtype
    if dtype not in ("int8", "int16") or g.tensors[y].dtype != dtype or g.tensors[w].dtype != "int8":
        raise IRError(f"TRANSPOSE_CONV '{op.name}': needs int8 or int16 activations with int8 weights")
    want_bias = "int32" if dtype == "int8" else "int64"
    if bias is not None and g.tensors[bias].dtype != want_bias:
        raise IRError(f"TRANSPOSE_CONV '{op.name}': bias '{bias}' is {g.tensors[bias].dtype}, {want_bias} expected")
    qx, qw, qy = quant_of(g, x, op), quant_of(g, w, op), quant_of(g, y, op)
    if np.any(qw.zero_point != 0):
        raise IRError(f"TRANSPOSE_CONV '{op.name}': filter '{w}' must be symmetric (zero point 0)")
    o = g.tensors[w].shape[0]
    mult, shift = channel_multipliers(float(qx.scale[0]), qw.scale, float(qy.scale[0]), o)
    zy = int(qy.zero_point[0])
    lo, hi = activation_range_quantized(op.attrs.get("activation", "NONE"), float(qy.scale[0]), zy, dtype)
    stride = pair(op, "stride")
    params = [-int(qx.zero_point[0]) if dtype == "int8" else 0, zy, lo, hi, *stride, *_pads(g, op)]
    return Lowered(inputs=[x, w, bias, mult, shift], params=[int(p) for p in params])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    x, w, bias, mult, shift = xs
    in_off, out_off, lo, hi, sh, sw, ph, pw = low.params
    dt = g.tensors[op.outputs[0]].np_dtype
    xi = np.asarray(x, np.int64) + (in_off if dt == np.int8 else 0)
    acc = _accumulate(xi, np.asarray(w, np.int64), g.tensors[op.outputs[0]].shape, (sh, sw), (ph, pw))
    if bias is not None:
        acc = acc + np.asarray(bias, np.int64)
    if dt == np.int8:
        acc = ((acc + 2**31) % 2**32) - 2**31
        y = multiply_by_quantized_multiplier(acc, np.asarray(mult, np.int64), np.asarray(shift, np.int64))
    else:
        y = mbqm64(acc, mult, shift)
    return [np.clip(y + out_off, lo, hi).astype(dt)]
