"""DYNAMIC_UPDATE_SLICE (TFLite Micro's kernel). IR: inputs [operand, update,
start int32 / int64 (one per operand axis, computed or constant)], attrs {};
y = operand with update written at start, each start clamped to
[0, operand_dim - update_dim] as TFLite Micro clamps it (so no index is out of
range). An update as large as the operand replaces it whatever the indices.

C: inputs [operand, update, start], params [] (shapes from the tensors). Raw
values (int8, int16, int32, float32) are copied, as TFLite Micro copies them,
so the operand, the update and the output are meant to share one
quantization.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered

OPCODE = 65
TYPES = ("int8", "int16", "float32")  # and raw int32, as TFLite Micro
_DTYPES = (*TYPES, "int32")


def _check(g: Graph, op: Op) -> None:
    """TFLite Micro's Prepare checks, and the types its Eval takes."""
    where = f"DYNAMIC_UPDATE_SLICE '{op.name}'"
    if len(op.inputs) != 3:
        raise IRError(f"{where}: needs 3 inputs (operand, update, start indices), got {len(op.inputs)}")
    x, u, s = (g.tensors[n] for n in op.inputs)
    if x.dtype not in _DTYPES or u.dtype != x.dtype:
        raise IRError(f"{where}: operand {x.dtype} and update {u.dtype}; one of {', '.join(_DTYPES)} for both "
                      "expected (as TFLite Micro)")
    if s.dtype not in ("int32", "int64") or len(s.shape) != 1 or s.shape[0] != len(x.shape):
        raise IRError(f"{where}: start indices '{s.name}' are {s.dtype}{list(s.shape)}; 1-D int32 or int64 with "
                      f"one index per operand axis ({len(x.shape)}) expected")
    if len(u.shape) != len(x.shape) or any(a > b for a, b in zip(u.shape, x.shape)):
        raise IRError(f"{where}: update shape {list(u.shape)} does not fit in operand shape {list(x.shape)}")
    if not 1 <= len(x.shape) <= 5:
        raise IRError(f"{where}: rank {len(x.shape)} is outside the runtime's 1..5")


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    _check(g, op)
    return [tuple(g.tensors[op.inputs[0]].shape)]


def macs(g: Graph, op: Op) -> int:
    return 0


def update(operand: np.ndarray, upd: np.ndarray, start) -> np.ndarray:
    """The numpy twin: TFLite Micro's clamping and copy."""
    y = np.array(operand, copy=True)
    upd = np.asarray(upd)
    if y.size == upd.size:
        return upd.astype(y.dtype).reshape(y.shape)
    st = np.asarray(start, np.int64).reshape(-1)
    lo = [int(min(max(0, int(i)), d - n)) for i, d, n in zip(st, y.shape, upd.shape)]
    y[tuple(slice(a, a + n) for a, n in zip(lo, upd.shape))] = upd
    return y


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return [update(xs[0], xs[1], xs[2])]


def lower(g: Graph, op: Op) -> Lowered:
    _check(g, op)
    if g.tensors[op.outputs[0]].dtype != g.tensors[op.inputs[0]].dtype:
        raise IRError(f"DYNAMIC_UPDATE_SLICE '{op.name}': output dtype differs from the operand's")
    return Lowered(inputs=list(op.inputs), params=[])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    y = g.tensors[op.outputs[0]]
    return [update(xs[0], xs[1], xs[2]).astype(y.np_dtype).reshape(y.shape)]
