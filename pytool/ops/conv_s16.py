"""16x8 CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED: int16 activations
(zero point 0), int8 symmetric weights, int64 or int32 bias. Their lowering
and numpy twin; each op module hands int16 graphs over to here.

C ops CONV_2D_S16 / DEPTHWISE_CONV_2D_S16 / FULLY_CONNECTED_S16
(runtime_c/src/ops/conv_2d_s16.c ...): inputs [x, w, bias int64 | int32 | -1,
multiplier int32 [O], shift int32 [O]]; params as the int8 op's, the
accumulator width following the bias type, as TFLite Micro's templates do:
an int64 bias accumulates in int64 and rescales with the 64-bit
MultiplyByQuantizedMultiplier (multiplier rounded to 16 bits); an int32
bias accumulates in int32 with the 32-bit one. An absent bias takes
the int64 path: TFLite Micro's int16 conv and FC kernels run it through
their int64 template (checked on its interpreter).
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, as_int32
from pytool.ops.common import activation_range_quantized, quant_of
from quantize.fixedpoint import effective_scale, multiply_by_quantized_multiplier, quantize_multiplier

CONV_2D_S16, DEPTHWISE_CONV_2D_S16, FULLY_CONNECTED_S16 = 26, 27, 28


def is_s16(g: Graph, op: Op) -> bool:
    return g.tensors[op.inputs[0]].dtype == "int16"


def check(g: Graph, op: Op, depthwise: bool = False) -> str | None:
    x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
    bias = op.inputs[2] if len(op.inputs) > 2 else None
    for n, want in ((x, "int16"), (w, "int8"), (y, "int16")):
        if g.tensors[n].dtype != want:
            raise IRError(f"{op.type} '{op.name}': tensor '{n}' is {g.tensors[n].dtype}; the 16x8 kernel needs {want}")
    for n in (x, y):
        if int(quant_of(g, n, op).zero_point[0]) != 0:
            raise IRError(f"{op.type} '{op.name}': int16 tensor '{n}' must have zero point 0 (16x8 quantization)")
    if np.any(quant_of(g, w, op).zero_point != 0):
        raise IRError(f"{op.type} '{op.name}': filter '{w}' must be symmetric (zero point 0)")
    if bias is not None and g.tensors[bias].dtype not in ("int64", "int32"):
        raise IRError(f"{op.type} '{op.name}': bias '{bias}' is {g.tensors[bias].dtype}; int64 or int32 expected")
    if depthwise and bias is not None and g.tensors[bias].dtype != "int64":
        raise IRError(f"{op.type} '{op.name}': TFLite Micro's int16 depthwise kernel reads an int64 bias, "
                      f"'{bias}' is {g.tensors[bias].dtype}")
    return bias


def multipliers(g: Graph, op: Op, out_channels: int) -> tuple[np.ndarray, np.ndarray]:
    from pytool.ops.conv_2d import channel_multipliers

    qx, qw, qy = (quant_of(g, n, op) for n in (op.inputs[0], op.inputs[1], op.outputs[0]))
    if qw.scale.size not in (1, out_channels):
        raise IRError(f"{op.type} '{op.name}': filter has {qw.scale.size} scales for {out_channels} channels")
    return channel_multipliers(float(qx.scale[0]), qw.scale, float(qy.scale[0]), out_channels)


def act_range(g: Graph, op: Op) -> tuple[int, int]:
    qy = quant_of(g, op.outputs[0], op)
    return activation_range_quantized(op.attrs.get("activation", "NONE"), float(qy.scale[0]), 0, "int16")


def lower_conv(g: Graph, op: Op, out_channels: int, extra: list[int], depthwise: bool) -> Lowered:
    from pytool.ops.conv_2d import pair, spatial

    bias = check(g, op, depthwise)
    mult, shift = multipliers(g, op, out_channels)
    lo, hi = act_range(g, op)
    xs, ws = g.tensors[op.inputs[0]].shape, g.tensors[op.inputs[1]].shape
    stride, dil = pair(op, "stride"), pair(op, "dilation")
    _, pad = spatial(op, xs[1:3], ws[1:3], dil)
    params = [0, 0, lo, hi, *stride, *dil, *pad, *extra]
    return Lowered(inputs=[op.inputs[0], op.inputs[1], bias, mult, shift], params=[int(p) for p in params],
                   opcode=DEPTHWISE_CONV_2D_S16 if depthwise else CONV_2D_S16)


def lower_fc(g: Graph, op: Op, out_d: int) -> Lowered:
    bias = check(g, op)
    qx, qw, qy = (quant_of(g, n, op) for n in (op.inputs[0], op.inputs[1], op.outputs[0]))
    if qw.per_channel:
        mult, shift = multipliers(g, op, out_d)
    else:
        m, s = quantize_multiplier(effective_scale(float(qx.scale[0]), float(qw.scale[0]), float(qy.scale[0])))
        mult, shift = as_int32([m]), as_int32([s])
    lo, hi = act_range(g, op)
    return Lowered(inputs=[op.inputs[0], op.inputs[1], bias, mult, shift],
                   params=[0, 0, 0, lo, hi, int(qw.per_channel)], opcode=FULLY_CONNECTED_S16)


def mbqm64(acc: np.ndarray, mult, shift) -> np.ndarray:
    """TFLite's MultiplyByQuantizedMultiplier(int64_t x, ...): a 16-bit multiplier."""
    m = np.asarray(mult, np.int64)
    reduced = np.where(m < 0x7FFF0000, (m + (1 << 15)) >> 16, 0x7FFF)
    total = 15 - np.asarray(shift, np.int64)
    return (np.asarray(acc, np.int64) * reduced + (np.int64(1) << (total - 1))) >> total


def requantize(acc: np.ndarray, bias, mult, shift, lo: int, hi: int) -> np.ndarray:
    """Channels last. The bias type picks the accumulator and the rescale (no
    bias: int64, as TFLite Micro)."""
    acc = np.asarray(acc, np.int64)
    if bias is None or np.asarray(bias).dtype == np.int64:
        y = mbqm64(acc if bias is None else acc + np.asarray(bias, np.int64), mult, shift)
    else:
        acc = ((acc + np.asarray(bias, np.int64) + 2**31) % 2**32) - 2**31  # int32 accumulator
        y = multiply_by_quantized_multiplier(acc, np.asarray(mult, np.int64), np.asarray(shift, np.int64))
    return np.clip(y, lo, hi).astype(np.int16)
