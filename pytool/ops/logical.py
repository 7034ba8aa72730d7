"""LOGICAL_AND, LOGICAL_OR (broadcasting as ADD) and LOGICAL_NOT on bool
tensors (one module for the three). C: params [kind (0 AND, 1 OR, 2 NOT)];
bools are one byte, 0 or 1.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops import add as _add

OPCODE = 62
TYPES = ("bool",)  # bool tensors only (the README table says "bool")
KINDS = ("LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT")
NUMPY = (np.logical_and, np.logical_or)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    if op.type == "LOGICAL_NOT":
        return [g.tensors[op.inputs[0]].shape]
    return _add.infer_shapes(g, op)


def macs(g: Graph, op: Op) -> int:
    return 0


def _eval(op: Op, xs: list) -> np.ndarray:
    if op.type == "LOGICAL_NOT":
        return np.logical_not(np.asarray(xs[0], bool))
    return NUMPY[KINDS.index(op.type)](np.asarray(xs[0], bool), np.asarray(xs[1], bool))


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return [_eval(op, xs)]


def lower(g: Graph, op: Op) -> Lowered:
    n_in = 1 if op.type == "LOGICAL_NOT" else 2
    names = [*op.inputs[:n_in], op.outputs[0]]
    if any(g.tensors[n].dtype != "bool" for n in names):
        raise IRError(f"{op.type} '{op.name}': tensors {names} must all be bool")
    if len(g.tensors[op.outputs[0]].shape) > 4:
        raise IRError(f"{op.type} '{op.name}': rank {len(g.tensors[op.outputs[0]].shape)} is above 4")
    return Lowered(inputs=list(op.inputs[:n_in]), params=[KINDS.index(op.type)])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    return [_eval(op, xs).reshape(g.tensors[op.outputs[0]].shape)]
