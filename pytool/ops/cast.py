"""CAST. IR: inputs [x], attrs {}; the output tensor's dtype is the target.

C: inputs [x]; params []; bool/int8/int16/int32/float32 in and out, each value
converted as C++ static_cast does (integers wrap, floats truncate, anything
non-zero, NaN included, is true). uint32
(signal-library front ends) casts to and from the integer types only: the C
sees it as int32 storage, so the bits carry over.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered

OPCODE = 37
TYPES = ("int8", "int16")
_OK = ("int8", "int16", "int32", "float32", "uint32", "bool")


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [g.tensors[op.inputs[0]].shape]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return [_convert(np.asarray(xs[0]), g.tensors[op.outputs[0]].np_dtype)]


def _convert(x: np.ndarray, dt) -> np.ndarray:
    if np.dtype(dt).kind == "b":
        return x != 0  # before any truncation: 0.5 is true
    if np.dtype(dt).kind == "f":
        return x.astype(dt)
    if x.dtype.kind == "f":
        x = np.nan_to_num(np.trunc(x.astype(np.float64)), nan=0.0)
        x = np.clip(x, -(2.0**31), 2.0**31 - 1)
    return (np.asarray(x, np.int64) & 0xFFFFFFFF).astype(np.uint32).astype(np.int32).astype(np.int64).astype(dt)


def lower(g: Graph, op: Op) -> Lowered:
    x, y = op.inputs[0], op.outputs[0]
    for n in (x, y):
        if g.tensors[n].dtype not in _OK:
            raise IRError(f"CAST '{op.name}': tensor '{n}' is {g.tensors[n].dtype}; supported: {', '.join(_OK)}")
    if {g.tensors[x].dtype, g.tensors[y].dtype} >= {"uint32", "float32"}:
        raise IRError(f"CAST '{op.name}': uint32 <-> float32 is not supported (uint32 casts to integer types)")
    if {g.tensors[x].dtype, g.tensors[y].dtype} >= {"uint32", "bool"}:
        raise IRError(f"CAST '{op.name}': uint32 <-> bool is not supported (TFLite Micro has no such cast)")
    return Lowered(inputs=[x], params=[])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    return [_convert(np.asarray(xs[0]), g.tensors[op.outputs[0]].np_dtype)]
