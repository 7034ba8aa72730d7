"""UNPACK. IR: inputs [x], attrs {axis}; one output per index of the axis,
which is dropped. C: the strided-view copy."""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, Op
from pytool.ops import Lowered
from pytool.ops.data_movement import lower_gather, norm_axis, ref_gather, split_parts
from pytool.ops.strided_slice import OPCODE

OPCODE = OPCODE
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    shape = g.tensors[op.inputs[0]].shape
    axis = norm_axis(op, op.attrs.get("axis", 0), len(shape))
    return [tuple(d for k, d in enumerate(shape) if k != axis)] * shape[axis]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    x = np.asarray(xs[0])
    axis = norm_axis(op, op.attrs.get("axis", 0), x.ndim)
    return [np.take(x, k, axis=axis) for k in range(x.shape[axis])]


def lower(g: Graph, op: Op) -> Lowered:
    shape = g.tensors[op.inputs[0]].shape
    axis = norm_axis(op, op.attrs.get("axis", 0), len(shape))
    return lower_gather(g, op, op.inputs[0], split_parts(shape, axis, [1] * shape[axis]))


ref_int8 = ref_gather
