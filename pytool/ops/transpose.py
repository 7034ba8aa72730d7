"""TRANSPOSE. IR: inputs [x, perm const int32]; y.shape[d] = x.shape[perm[d]].

C (int8, runtime_c/src/ops/transpose.c): inputs [x]; params [perm_0, ...,
perm_{r-1}] (rank 1..5). int16 (TFLite Micro has it): TRANSPOSE_VIEW.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.transpose_view import OPCODE as VIEW_OPCODE
from pytool.ops.transpose_view import lower_view, ref_view

OPCODE = 16
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)


def permutation(g: Graph, op: Op) -> list[int]:
    x, p = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]]
    if p.data is None:
        raise IRError(f"TRANSPOSE '{op.name}': perm '{p.name}' must be a constant")
    rank = len(x.shape)
    perm = [int(v) % rank if rank else int(v) for v in np.asarray(p.data).reshape(-1)]
    if sorted(perm) != list(range(rank)) or not 1 <= rank <= 5:
        raise IRError(f"TRANSPOSE '{op.name}': perm {perm} is not a permutation of rank {rank} (1..5)")
    return perm


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    shape = g.tensors[op.inputs[0]].shape
    return [tuple(shape[k] for k in permutation(g, op))]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return [np.transpose(np.asarray(xs[0]), permutation(g, op))]


def lower(g: Graph, op: Op) -> Lowered:
    for n in (op.inputs[0], op.outputs[0]):
        if g.tensors[n].dtype not in (*TYPES, "float32"):
            raise IRError(f"TRANSPOSE '{op.name}': tensor '{n}' is {g.tensors[n].dtype}, int8, int16 or float32 "
                          "expected")
    if g.tensors[op.inputs[0]].dtype in ("int16", "float32"):  # any element size
        return lower_view(g, op, list(g.tensors[op.inputs[0]].shape), permutation(g, op))
    return Lowered(inputs=[op.inputs[0]], params=permutation(g, op))


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == VIEW_OPCODE:
        return ref_view(g, op, low, xs)
    return [np.transpose(np.asarray(xs[0]), low.params)]
