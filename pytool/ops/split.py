"""SPLIT. IR: inputs [axis const, x], attrs {num_splits}; equal parts.
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
    shape = g.tensors[op.inputs[1]].shape
    axis = norm_axis(op, const_ints(g, op, 0, "axis")[0], len(shape))
    n = len(op.outputs)
    if shape[axis] % n:
        raise IRError(f"SPLIT '{op.name}': axis {axis} of {shape} does not split into {n} equal parts")
    return axis, [shape[axis] // n] * n


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    axis, sizes = _sizes(g, op)
    shape = g.tensors[op.inputs[1]].shape
    return [tuple(c) for _, _, c in split_parts(shape, axis, sizes)]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    axis, sizes = _sizes(g, op)
    return np.split(np.asarray(xs[1]), np.cumsum(sizes)[:-1], axis=axis)


def lower(g: Graph, op: Op) -> Lowered:
    axis, sizes = _sizes(g, op)
    return lower_gather(g, op, op.inputs[1], split_parts(g.tensors[op.inputs[1]].shape, axis, sizes))


ref_int8 = ref_gather
