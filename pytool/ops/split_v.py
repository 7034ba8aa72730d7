"""SPLIT_V. IR: inputs [x, size_splits const (one -1 allowed), axis const].
C: the strided-view copy, one output per part."""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.data_movement import const_ints, lower_gather, norm_axis, ref_gather, split_parts
from pytool.ops.strided_slice import OPCODE

OPCODE = OPCODE
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)


def _sizes(g: Graph, op: Op) -> tuple[int, list[int]]:
    shape = g.tensors[op.inputs[0]].shape
    axis = norm_axis(op, const_ints(g, op, 2, "axis")[0], len(shape))
    sizes = const_ints(g, op, 1, "size_splits")
    if sizes.count(-1) == 1:
        sizes[sizes.index(-1)] = shape[axis] - (sum(sizes) + 1)
    if sum(sizes) != shape[axis] or min(sizes) < 0 or len(sizes) != len(op.outputs):
        raise IRError(f"SPLIT_V '{op.name}': sizes {sizes} do not split axis {axis} of {shape}")
    return axis, sizes


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    axis, sizes = _sizes(g, op)
    return [tuple(c) for _, _, c in split_parts(g.tensors[op.inputs[0]].shape, axis, sizes)]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    axis, sizes = _sizes(g, op)
    return np.split(np.asarray(xs[0]), np.cumsum(sizes)[:-1], axis=axis)


def lower(g: Graph, op: Op) -> Lowered:
    axis, sizes = _sizes(g, op)
    return lower_gather(g, op, op.inputs[0], split_parts(g.tensors[op.inputs[0]].shape, axis, sizes))


ref_int8 = ref_gather
