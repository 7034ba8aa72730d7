"""GATHER. IR: inputs [x, indices int32], attrs {axis, batch_dims}.

C: inputs [x, indices]; params [outer, axis_size, inner], x viewed as
[outer, axis_size, inner]; int8 or int32. batch_dims must be 0.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.data_movement import norm_axis
from pytool.ops.strided_slice import check_same_dtype

OPCODE = 38
TYPES = ("int8",)  # TFLite Micro's GATHER has no int16


def _axis(g: Graph, op: Op) -> int:
    if op.attrs.get("batch_dims", 0):
        raise IRError(f"GATHER '{op.name}': batch_dims != 0 is not supported")
    return norm_axis(op, op.attrs.get("axis", 0), len(g.tensors[op.inputs[0]].shape))


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    x, i = g.tensors[op.inputs[0]].shape, g.tensors[op.inputs[1]].shape
    a = _axis(g, op)
    return [tuple(x[:a]) + tuple(i) + tuple(x[a + 1:])]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return [np.take(np.asarray(xs[0]), np.asarray(xs[1], np.int64), axis=_axis(g, op))]


def lower(g: Graph, op: Op) -> Lowered:
    x, idx, y = op.inputs[0], op.inputs[1], op.outputs[0]
    if check_same_dtype(g, op, [x, y]) == "int16":
        raise IRError(f"GATHER '{op.name}': int16 is not supported (TFLite Micro has no int16 GATHER)")
    if g.tensors[idx].dtype != "int32":
        raise IRError(f"GATHER '{op.name}': indices '{idx}' are {g.tensors[idx].dtype}; int32 expected")
    shape, a = g.tensors[x].shape, _axis(g, op)
    outer, inner = int(np.prod(shape[:a], dtype=np.int64)), int(np.prod(shape[a + 1:], dtype=np.int64))
    return Lowered(inputs=[x, idx], params=[outer, shape[a], inner])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    outer, axis, inner = low.params
    idx = np.asarray(xs[1], np.int64).reshape(-1)
    if np.any((idx < 0) | (idx >= axis)):
        raise IRError(f"GATHER '{op.name}': an index is out of range [0, {axis})")
    y = np.asarray(xs[0]).reshape(outer, axis, inner)[:, idx, :]
    return [y.reshape(g.tensors[op.outputs[0]].shape)]
