"""REVERSE_V2. IR: inputs [x, axes const int32], attrs {}; x reversed along
the axes. C: the strided-view copy (STRIDED_SLICE's C op) starting at the last
index with step -1 on those axes; raw values, any integer dtype.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, Op
from pytool.ops import Lowered
from pytool.ops.data_movement import const_ints, lower_gather, norm_axis, ref_gather
from pytool.ops.strided_slice import OPCODE

TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)
__all__ = ["OPCODE", "TYPES", "infer_shapes", "lower", "macs", "ref_float", "ref_int8"]


def _axes(g: Graph, op: Op) -> set[int]:
    rank = len(g.tensors[op.inputs[0]].shape)
    return {norm_axis(op, a, rank) for a in const_ints(g, op, 1, "axes")}


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    _axes(g, op)
    return [g.tensors[op.inputs[0]].shape]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return [np.flip(np.asarray(xs[0]), axis=tuple(sorted(_axes(g, op))))]


def lower(g: Graph, op: Op) -> Lowered:
    shape, axes = g.tensors[op.inputs[0]].shape, _axes(g, op)
    start = [d - 1 if k in axes else 0 for k, d in enumerate(shape)]
    step = [-1 if k in axes else 1 for k in range(len(shape))]
    return lower_gather(g, op, op.inputs[0], [(start, step, list(shape))])


ref_int8 = ref_gather
