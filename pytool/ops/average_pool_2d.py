"""AVERAGE_POOL_2D. IR: inputs [x NHWC], attrs {stride:(h,w), filter:(h,w),
padding, activation}. With SAME padding each output averages only the
window part inside the image (TFLite). int8 input and output share their
quantization, so the kernel averages raw values.

C (runtime_c/src/ops/average_pool_2d.c): inputs [x]; params [stride_h,
stride_w, filter_h, filter_w, pad_h, pad_w, act_min, act_max].
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32
from pytool.ops.common import activation_float, activation_range_quantized, quant_of
from pytool.ops.conv_2d import pair, spatial, windows

OPCODE = 4
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)


def pool_geometry(g: Graph, op: Op):
    x = g.tensors[op.inputs[0]]
    if len(x.shape) != 4:
        raise IRError(f"{op.type} '{op.name}': input '{x.name}' {x.shape} must be NHWC")
    filt = pair(op, "filter")
    out_hw, pad = spatial(op, x.shape[1:3], filt)
    return x.shape, filt, pair(op, "stride"), out_hw, pad


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    xs, _, _, (oh, ow), _ = pool_geometry(g, op)
    return [(xs[0], oh, ow, xs[3])]


def macs(g: Graph, op: Op) -> int:
    _, filt, _, _, _ = pool_geometry(g, op)
    return int(np.prod(g.tensors[op.outputs[0]].shape)) * filt[0] * filt[1]


def ref_float(g: Graph, op: Op, xs: list) -> list:
    _, filt, stride, out_hw, pad = pool_geometry(g, op)
    x = np.asarray(xs[0], np.float64)
    total = windows(x, filt, stride, (1, 1), pad, out_hw).sum(axis=(3, 4))
    count = windows(np.ones_like(x[..., :1]), filt, stride, (1, 1), pad, out_hw).sum(axis=(3, 4))
    return [activation_float(total / count, op.attrs.get("activation", "NONE")).astype(np.float32)]


S16_OPCODES = {"AVERAGE_POOL_2D": 31, "MAX_POOL_2D": 32}


def lower_pool(g: Graph, op: Op) -> Lowered:
    x, y = op.inputs[0], op.outputs[0]
    dtype = g.tensors[x].dtype
    for n in (x, y):
        if g.tensors[n].dtype != dtype or dtype not in ("int8", "int16"):
            raise IRError(f"{op.type} '{op.name}': tensor '{n}' is {g.tensors[n].dtype}, int8 or int16 expected")
    qx, qy = quant_of(g, x, op), quant_of(g, y, op)
    if np.float32(qx.scale[0]) != np.float32(qy.scale[0]) or int(qx.zero_point[0]) != int(qy.zero_point[0]):
        raise IRError(
            f"{op.type} '{op.name}': input and output quantization differ; int8 pooling needs them equal"
        )
    _, filt, stride, _, pad = pool_geometry(g, op)
    act = activation_range_quantized(
        op.attrs.get("activation", "NONE"), float(qy.scale[0]), int(qy.zero_point[0]), dtype
    )
    opcode = None if dtype == "int8" else S16_OPCODES[op.type]
    return Lowered(inputs=[x], params=[*stride, *filt, *pad, act[0], act[1]], opcode=opcode)


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    return lower_pool(g, op)


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    sh, sw, fh, fw, ph, pw, amin, amax = low.params
    _, oh, ow, _ = g.tensors[op.outputs[0]].shape
    x = np.asarray(xs[0], np.int64)
    total = windows(x, (fh, fw), (sh, sw), (1, 1), (ph, pw), (oh, ow)).sum(axis=(3, 4))
    count = windows(np.ones_like(x[..., :1]), (fh, fw), (sh, sw), (1, 1), (ph, pw), (oh, ow)).sum(axis=(3, 4))
    if np.any(count == 0):
        raise IRError(f"AVERAGE_POOL_2D '{op.name}': a window lies wholly in the padding")
    half = count // 2
    num = np.where(total > 0, total + half, total - half)
    q = np.sign(num) * (np.abs(num) // count)  # C division truncates toward zero
    return [np.clip(q, amin, amax).astype(g.tensors[op.outputs[0]].np_dtype)]
