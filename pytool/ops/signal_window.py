"""SignalWindow (TFLite Micro signal library). IR: inputs [x int16 [..., n],
window int16 [n]], attrs {shift}; every row of x is multiplied by the window,
shifted right (arithmetic) and saturated to int16.

C (runtime_c/src/ops/signal_window.c): inputs [x, window]; params [shift]."""

from __future__ import annotations

import sys

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.signal_common import attr, check_dtypes, check_rank, ref_float_via_int

OPCODE = 100
TYPES = ("int16",)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [g.tensors[op.inputs[0]].shape]


def macs(g: Graph, op: Op) -> int:
    return g.tensors[op.inputs[0]].numel


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return ref_float_via_int(g, op, sys.modules[__name__], xs)


def lower(g: Graph, op: Op) -> Lowered:
    if len(op.inputs) != 2:
        raise IRError(f"{op.type} '{op.name}': expected 2 inputs (x, window), got {len(op.inputs)}")
    x, w = op.inputs
    check_dtypes(g, op, [x, w, op.outputs[0]], ["int16"] * 3)
    check_rank(g, op, w, 1)
    n = g.tensors[w].shape[0]
    if not g.tensors[x].shape or g.tensors[x].shape[-1] != n:
        raise IRError(f"{op.type} '{op.name}': input rows {g.tensors[x].shape} do not match the window length {n}")
    shift = attr(op, "shift")
    if not 0 <= shift <= 31:
        raise IRError(f"{op.type} '{op.name}': shift {shift} is outside 0..31")
    return Lowered(inputs=[x, w], params=[shift])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    x, w = (np.asarray(v, np.int64) for v in xs)
    y = (x * w) >> low.params[0]
    return [np.clip(y, -32768, 32767).astype(np.int16)]
