"""RESIZE_NEAREST_NEIGHBOR. IR: inputs [x NHWC, size const [h, w]], attrs
{align_corners, half_pixel_centers}.

C: inputs [x]; params [iy per output row, ix per output column], TFLite's
GetNearestNeighbor evaluated here in float32 as the C++ does.
"""

from __future__ import annotations

import math

import numpy as np

from pytool.ir import Graph, Op
from pytool.ops import Lowered
from pytool.ops.resize_common import check, infer_shapes, out_hw
from quantize.fixedpoint import tflite_round

OPCODE = 34
TYPES = ("int8", "int16")
__all__ = ["OPCODE", "TYPES", "infer_shapes", "macs", "ref_float", "lower", "ref_int8"]


def nearest(i: int, in_size: int, out_size: int, align: bool, half: bool) -> int:
    f32 = np.float32
    scale = f32(in_size - 1) / f32(out_size - 1) if align and out_size > 1 else f32(in_size) / f32(out_size)
    v = f32(f32(i) + f32(0.5 if half else 0.0)) * scale
    idx = tflite_round(float(v)) if align else math.floor(float(v))
    idx = min(idx, in_size - 1)
    return max(0, idx) if half else idx


def tables(g: Graph, op: Op) -> tuple[list[int], list[int]]:
    x = g.tensors[op.inputs[0]].shape
    h, w = out_hw(g, op)
    a, hp = bool(op.attrs.get("align_corners")), bool(op.attrs.get("half_pixel_centers"))
    return [nearest(i, x[1], h, a, hp) for i in range(h)], [nearest(i, x[2], w, a, hp) for i in range(w)]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    iy, ix = tables(g, op)
    return [np.asarray(xs[0])[:, iy][:, :, ix]]


def lower(g: Graph, op: Op) -> Lowered:
    check(g, op, ("int8", "int16", "float32"))  # a value copy
    iy, ix = tables(g, op)
    return Lowered(inputs=[op.inputs[0]], params=iy + ix)


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    h = g.tensors[op.outputs[0]].shape[1]
    return [np.asarray(xs[0])[:, low.params[:h]][:, :, low.params[h:]]]
