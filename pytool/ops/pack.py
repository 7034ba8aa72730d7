"""PACK. IR: inputs [x_0 .. x_{n-1}] (one shape), attrs {axis}; stacked along a
new axis. C: the strided-view copy in scatter mode (inputs -> one output)."""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.data_movement import lower_scatter, norm_axis, ref_scatter, split_parts
from pytool.ops.strided_slice import OPCODE

OPCODE = OPCODE
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)


def _axis(g: Graph, op: Op) -> int:
    shapes = {g.tensors[n].shape for n in op.inputs}
    if len(shapes) != 1:
        raise IRError(f"PACK '{op.name}': inputs have different shapes {sorted(shapes)}")
    return norm_axis(op, op.attrs.get("axis", 0), len(shapes.pop()) + 1)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    shape = list(g.tensors[op.inputs[0]].shape)
    shape.insert(_axis(g, op), len(op.inputs))
    return [tuple(shape)]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return [np.stack([np.asarray(x) for x in xs], axis=_axis(g, op))]


def lower(g: Graph, op: Op) -> Lowered:
    axis = _axis(g, op)
    return lower_scatter(g, op, op.inputs, split_parts(g.tensors[op.outputs[0]].shape, axis, [1] * len(op.inputs)))


ref_int8 = ref_scatter
