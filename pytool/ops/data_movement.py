"""Shared lowering of the pure data-movement ops (SLICE, SPLIT, SPLIT_V, PACK,
UNPACK) onto the strided-view copy of STRIDED_SLICE, and of SQUEEZE /
EXPAND_DIMS onto RESHAPE's byte copy. None changes values or quantization
(TFLite Micro copies bytes too)."""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.strided_slice import OPCODE as VIEW_OPCODE
from pytool.ops.strided_slice import check_same_dtype, view_gather, view_params, view_scatter


def const_ints(g: Graph, op: Op, k: int, what: str) -> list[int]:
    if len(op.inputs) <= k or g.tensors[op.inputs[k]].data is None:
        raise IRError(f"{op.type} '{op.name}': {what} (input {k}) must be a constant")
    return [int(v) for v in np.asarray(g.tensors[op.inputs[k]].data).reshape(-1)]


def norm_axis(op: Op, axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise IRError(f"{op.type} '{op.name}': axis {axis} is out of range for rank {rank}")
    return axis % rank


def split_parts(shape: tuple, axis: int, sizes: list[int]) -> list[tuple[list[int], list[int], list[int]]]:
    parts, start = [], 0
    for n in sizes:
        s = [0] * len(shape)
        s[axis] = start
        c = list(shape)
        c[axis] = n
        parts.append((s, [1] * len(shape), c))
        start += n
    return parts


def lower_gather(g: Graph, op: Op, x: str, parts) -> Lowered:
    check_same_dtype(g, op, [x, *op.outputs], raw=True)
    return Lowered(inputs=[x], params=view_params(0, g.tensors[x].shape, parts), opcode=VIEW_OPCODE)


def lower_scatter(g: Graph, op: Op, xs: list[str], parts) -> Lowered:
    check_same_dtype(g, op, [*xs, op.outputs[0]], raw=True)
    return Lowered(inputs=list(xs), params=view_params(1, g.tensors[op.outputs[0]].shape, parts), opcode=VIEW_OPCODE)


def ref_gather(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    return [view_gather(xs[0], low.params, k).reshape(g.tensors[n].shape) for k, n in enumerate(op.outputs)]


def ref_scatter(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    y = g.tensors[op.outputs[0]]
    return [view_scatter(xs, low.params, y.np_dtype).reshape(y.shape)]
