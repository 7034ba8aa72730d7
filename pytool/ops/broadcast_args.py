"""BROADCAST_ARGS with computed shape vectors (constant ones are folded at
read time). IR: inputs [shape1, shape2] (1-D, int32 or int64, both the
output's dtype), attrs {}; y = the broadcast shape, right-aligned, a missing
or 1 dim taking the other's. Values pass through int as in TFLite's
reference (int64 dims truncated to 32 bits); unequal dims other than 1 fail
the op (TFLite Micro aborts).

C: inputs [shape1, shape2], params [].
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered

OPCODE = 67
TYPES = ("int32",)  # shape vectors (int32 or int64), in any model


def _check(g: Graph, op: Op) -> None:
    ts = [g.tensors[n] for n in (*op.inputs, *op.outputs[:1])]
    where = f"BROADCAST_ARGS '{op.name}'"
    if len(op.inputs) != 2:
        raise IRError(f"{where}: needs 2 inputs (two shapes), got {len(op.inputs)}")
    if {t.dtype for t in ts} not in ({"int32"}, {"int64"}) or any(len(t.shape) != 1 for t in ts):
        raise IRError(f"{where}: shapes and output are {[f'{t.dtype}{list(t.shape)}' for t in ts]}; 1-D, all int32 "
                      "or all int64 expected (as TFLite Micro)")


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    _check(g, op)
    return [(max(g.tensors[n].shape[0] for n in op.inputs),)]


def macs(g: Graph, op: Op) -> int:
    return 0


def broadcast(a, b, n_out: int, dtype) -> np.ndarray:
    """The numpy twin of TFLite's reference BroadcastArgs."""
    a = np.asarray(a).reshape(-1).astype(np.int32)  # through int, as the reference
    b = np.asarray(b).reshape(-1).astype(np.int32)
    out = np.zeros(n_out, dtype)
    for i in range(n_out):
        x = int(a[-1 - i]) if i < a.size else 1
        y = int(b[-1 - i]) if i < b.size else 1
        if x != 1 and y != 1 and x != y:
            raise IRError(f"BROADCAST_ARGS: dims {x} and {y} do not broadcast")
        out[n_out - 1 - i] = y if x == 1 else x
    return out


def ref_float(g: Graph, op: Op, xs: list) -> list:
    y = g.tensors[op.outputs[0]]
    return [broadcast(xs[0], xs[1], y.shape[0], y.np_dtype)]


def lower(g: Graph, op: Op) -> Lowered:
    _check(g, op)
    return Lowered(inputs=list(op.inputs), params=[])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    return ref_float(g, op, xs)
