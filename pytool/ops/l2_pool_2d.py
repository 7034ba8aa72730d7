"""L2_POOL_2D. IR: inputs [x NHWC], attrs {stride, filter, padding,
activation} (Pool2DOptions, as the other pools); y = sqrt(mean of x^2 over the
window part inside the image). TFLite Micro runs it on float32 only, so it
lowers to the F32 C op (pytool/ops/f32_conv.py: the pool kernel with squares
summed in window order, divided by the count, then sqrtf and the clamp).
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32
from pytool.ops.average_pool_2d import infer_shapes, pool_geometry
from pytool.ops.common import activation_float
from pytool.ops.conv_2d import windows

OPCODE = f32.OPCODE
TYPES = ("float32",)

__all__ = ["OPCODE", "TYPES", "infer_shapes", "macs", "ref_float", "lower", "ref_int8"]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    _, filt, stride, out_hw, pad = pool_geometry(g, op)
    x = np.asarray(xs[0], np.float64)
    sq = windows(x * x, filt, stride, (1, 1), pad, out_hw, fill=0).sum(axis=(3, 4))
    n = windows(np.ones_like(x[..., :1]), filt, stride, (1, 1), pad, out_hw, fill=0).sum(axis=(3, 4))
    return [activation_float(np.sqrt(sq / n), op.attrs.get("activation", "NONE")).astype(np.float32)]


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:
        return low_f32
    raise IRError(f"L2_POOL_2D '{op.name}': input is {g.tensors[op.inputs[0]].dtype}; the kernel takes float32 "
                  "(as TFLite Micro)")


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    return f32.ref(g, op, low, xs)
