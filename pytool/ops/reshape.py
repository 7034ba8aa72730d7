"""RESHAPE. IR: inputs [x, (shape const)], attrs {}. The output tensor's
shape is the target. C: inputs [x], params []."""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered

OPCODE = 10
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    if x.numel != y.numel:
        raise IRError(f"RESHAPE '{op.name}': {x.shape} has {x.numel} elements, target {y.shape} has {y.numel}")
    return [y.shape]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return [np.reshape(xs[0], g.tensors[op.outputs[0]].shape)]


def lower(g: Graph, op: Op) -> Lowered:
    return Lowered(inputs=[op.inputs[0]], params=[])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    return [np.reshape(xs[0], g.tensors[op.outputs[0]].shape)]
