"""SLICE. IR: inputs [x, begin const, size const (-1 = to the end)], attrs {}.
C: the strided-view copy (pytool/ops/strided_slice.py), step 1."""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.data_movement import const_ints, lower_gather, ref_gather
from pytool.ops.strided_slice import OPCODE

OPCODE = OPCODE
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)


def _window(g: Graph, op: Op) -> tuple[list[int], list[int]]:
    shape = g.tensors[op.inputs[0]].shape
    begin, size = const_ints(g, op, 1, "begin"), const_ints(g, op, 2, "size")
    if len(begin) != len(shape) or len(size) != len(shape):
        raise IRError(f"SLICE '{op.name}': begin/size need {len(shape)} entries")
    size = [d - b if s == -1 else s for b, s, d in zip(begin, size, shape)]
    if any(b < 0 or s < 0 or b + s > d for b, s, d in zip(begin, size, shape)):
        raise IRError(f"SLICE '{op.name}': begin {begin} size {size} exceed the input {shape}")
    return begin, size


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [tuple(_window(g, op)[1])]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    b, s = _window(g, op)
    return [np.asarray(xs[0])[tuple(slice(i, i + n) for i, n in zip(b, s))]]


def lower(g: Graph, op: Op) -> Lowered:
    b, s = _window(g, op)
    return lower_gather(g, op, op.inputs[0], [(b, [1] * len(b), s)])


ref_int8 = ref_gather
