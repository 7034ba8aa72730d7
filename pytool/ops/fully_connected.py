"""FULLY_CONNECTED. IR: inputs [x (any rank, flattened to [batches, in]),
w [out, in], (bias int32 [out])], attrs {activation, keep_num_dims}.
Output [*x.shape[:-1], out] with keep_num_dims, else [batches, out].

C (runtime_c/src/ops/fully_connected.c): inputs [x, w, bias | None,
multiplier int32 [out] or [1], shift int32 (same length)]; params
[input_offset, filter_offset, output_offset, act_min, act_max, per_channel].
Per-tensor follows TFLite's FullyConnected (filter offset = -w zero point);
per-channel follows FullyConnectedPerChannel (no filter offset).
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, as_int32, conv_s16, f32
from pytool.ops.common import activation_float, activation_range_quantized, quant_of
from pytool.ops.conv_2d import channel_multipliers, check_int8, requantize
from quantize.fixedpoint import effective_scale, quantize_multiplier

OPCODE = 3
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)


def _dims(g: Graph, op: Op) -> tuple[int, int, int]:
    x, w = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]]
    if len(w.shape) != 2:
        raise IRError(f"FULLY_CONNECTED '{op.name}': filter '{w.name}' {w.shape} must be [out, in]")
    out_d, in_d = w.shape
    if in_d == 0 or x.numel % in_d != 0:
        raise IRError(f"FULLY_CONNECTED '{op.name}': input {x.shape} does not flatten to rows of {in_d}")
    return x.numel // in_d, in_d, out_d


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    batches, in_d, out_d = _dims(g, op)
    x = g.tensors[op.inputs[0]]
    if op.attrs.get("keep_num_dims", False):
        if x.shape[-1] != in_d:
            raise IRError(
                f"FULLY_CONNECTED '{op.name}': keep_num_dims needs last dim {in_d}, input is {x.shape}"
            )
        return [(*x.shape[:-1], out_d)]
    return [(batches, out_d)]


def macs(g: Graph, op: Op) -> int:
    batches, in_d, out_d = _dims(g, op)
    return batches * in_d * out_d


def ref_float(g: Graph, op: Op, xs: list) -> list:
    w = np.asarray(xs[1], np.float64)
    x = np.asarray(xs[0], np.float64).reshape(-1, w.shape[1])
    acc = x @ w.T
    if len(xs) > 2 and xs[2] is not None:
        acc = acc + np.asarray(xs[2], np.float64)
    y = activation_float(acc, op.attrs.get("activation", "NONE"))
    return [y.reshape(g.tensors[op.outputs[0]].shape).astype(np.float32)]


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    _, _, out_d = _dims(g, op)
    if conv_s16.is_s16(g, op):
        return conv_s16.lower_fc(g, op, out_d)
    x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
    bias = op.inputs[2] if len(op.inputs) > 2 else None
    check_int8(g, op, [x, w, y], bias)
    qx, qw, qy = quant_of(g, x, op), quant_of(g, w, op), quant_of(g, y, op)
    s_in, s_out = float(qx.scale[0]), float(qy.scale[0])
    per_channel = qw.per_channel
    if per_channel:
        if qw.scale.size != out_d:
            raise IRError(
                f"FULLY_CONNECTED '{op.name}': filter has {qw.scale.size} scales for {out_d} outputs"
            )
        mult, shift = channel_multipliers(s_in, qw.scale, s_out, out_d)
        filter_offset = 0
    else:
        m, s = quantize_multiplier(effective_scale(s_in, float(qw.scale[0]), s_out))
        mult, shift = as_int32([m]), as_int32([s])
        filter_offset = -int(qw.zero_point[0])
    act = activation_range_quantized(op.attrs.get("activation", "NONE"), s_out, int(qy.zero_point[0]))
    params = [-int(qx.zero_point[0]), filter_offset, int(qy.zero_point[0]), act[0], act[1], int(per_channel)]
    return Lowered(inputs=[x, w, bias, mult, shift], params=params)


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    x, w, bias, mult, shift = xs
    in_off, w_off, out_off, amin, amax, _ = low.params
    w64 = np.asarray(w, np.int64) + w_off
    x64 = np.asarray(x, np.int64).reshape(-1, w64.shape[1]) + in_off
    if low.opcode == conv_s16.FULLY_CONNECTED_S16:
        y = conv_s16.requantize(x64 @ w64.T, bias, mult, shift, amin, amax)
        return [y.reshape(g.tensors[op.outputs[0]].shape)]
    y = requantize(x64 @ w64.T, bias, mult, shift, out_off, amin, amax)
    return [y.reshape(g.tensors[op.outputs[0]].shape)]
