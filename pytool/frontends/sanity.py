"""Checks every reader's graph must pass before anything uses it: the
values a corrupt or hand-edited file can carry that no later stage expects
(negative or huge dimensions, NaN / infinite / non-positive scales, zero
points outside the type, a graph without inputs or outputs). Each failure
is one ModelError naming the file and the tensor (and the op using it)."""

from __future__ import annotations

import numpy as np

from pytool.frontends.errors import ModelError
from pytool.ir import Graph

MAX_DIM = 1 << 24
MAX_ELEMENTS = 1 << 31
MAX_RANK = 8
NO_OUTPUT = frozenset({"ASSIGN_VARIABLE", "CALL_ONCE"})  # their results are state tensors (inputs)
_ZP_RANGE = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767)}


def _user(g: Graph, name: str) -> str:
    for i, op in enumerate(g.ops):
        if name in op.inputs or name in op.outputs:
            return f" (used by op #{i} {op.type})"
    return ""


def check_graph(g: Graph, path: str) -> Graph:
    if not g.inputs:
        raise ModelError(path, "the graph lists no inputs")
    if not g.outputs:
        raise ModelError(path, "the graph lists no outputs")
    for i, op in enumerate(g.ops):
        if not isinstance(op.name, str) or not all(isinstance(n, str) for n in op.inputs + op.outputs):
            raise ModelError(path, f"op #{i} ({op.type}): a name is not valid UTF-8 text")
    for t in g.tensors.values():
        shape = t.shape
        where = f"tensor '{t.name}'"
        if len(shape) > MAX_RANK:
            raise ModelError(path, f"{where}{_user(g, t.name)}: rank {len(shape)} (at most {MAX_RANK} supported)")
        for d in shape:
            if not isinstance(d, int | np.integer) or not 0 <= int(d) <= MAX_DIM:
                raise ModelError(path, f"{where}{_user(g, t.name)}: malformed shape {list(shape)} "
                                 f"(dimensions must be 0..{MAX_DIM})")
        if int(np.prod([int(d) for d in shape], dtype=object)) > MAX_ELEMENTS:
            raise ModelError(path, f"{where}{_user(g, t.name)}: shape {list(shape)} is too large")
        if t.data is not None and t.dtype in ("float32", "float16", "float64"):
            bad = ~np.isfinite(np.asarray(t.data, np.float64))
            if bad.any():
                raise ModelError(path, f"{where}{_user(g, t.name)}: {int(bad.sum())} constant value(s) are NaN "
                                 "or infinite")
        q = t.quant
        if q is None:
            continue
        if q.scale.size == 0:
            raise ModelError(path, f"{where}{_user(g, t.name)}: quantization has no scale")
        bad = ~np.isfinite(q.scale) | (q.scale <= 0)
        if bad.any() and t.dtype in ("int8", "uint8", "int16", "int32"):
            raise ModelError(path, f"{where}{_user(g, t.name)}: quantization scale {float(q.scale[bad][0])!r} "
                             "is not a positive finite number")
        lo, hi = _ZP_RANGE.get(t.dtype, (-(1 << 31), (1 << 31) - 1))
        zbad = (q.zero_point < lo) | (q.zero_point > hi)
        if zbad.any():
            raise ModelError(path, f"{where}{_user(g, t.name)}: zero point {int(q.zero_point[zbad][0])} is outside "
                             f"{t.dtype}'s range [{lo}, {hi}]")
    for i, op in enumerate(g.ops):
        if not op.outputs and op.type not in NO_OUTPUT:
            raise ModelError(path, "the op lists no outputs", index=i, op_type=op.type, op_name=op.name)
    return g
