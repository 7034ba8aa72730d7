"""Shared by RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR: the target size and
the input/output checks (int8 or int16 in and out, one quantization: TFLite
Micro does not rescale)."""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops.strided_slice import check_same_dtype


def out_hw(g: Graph, op: Op) -> tuple[int, int]:
    t = g.tensors[op.inputs[1]] if len(op.inputs) > 1 else None
    if t is None or t.data is None:
        raise IRError(f"{op.type} '{op.name}': size (input 1) must be a constant")
    v = [int(x) for x in np.asarray(t.data).reshape(-1)]
    if len(v) != 2 or min(v) < 1:
        raise IRError(f"{op.type} '{op.name}': size {v} must be two positive ints")
    return v[0], v[1]


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    x = g.tensors[op.inputs[0]].shape
    if len(x) != 4:
        raise IRError(f"{op.type} '{op.name}': input {x} must be NHWC")
    h, w = out_hw(g, op)
    return [(x[0], h, w, x[3])]


def check(g: Graph, op: Op, dtypes: tuple[str, ...] = ("int8", "int16")) -> None:
    check_same_dtype(g, op, [op.inputs[0], op.outputs[0]])
    if g.tensors[op.inputs[0]].dtype not in dtypes:
        raise IRError(f"{op.type} '{op.name}': {' or '.join(dtypes)} expected")
    if op.attrs.get("half_pixel_centers") and op.attrs.get("align_corners"):
        raise IRError(f"{op.type} '{op.name}': half_pixel_centers and align_corners cannot both be set")
