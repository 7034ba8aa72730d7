"""The int32 paths of ADD, SUB, MUL, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE and DIV (C op ARITH_I32;
MAXIMUM / MINIMUM also int64):
raw int32 values, wrapping like TFLite Micro's int32 kernels on two's-
complement targets, numpy broadcasting up to rank 4. Only fused activation
NONE is taken. DIV truncates toward zero (C++ `/`, as TFLite Micro's int32
DIV); its undefined cases give 0 for a zero divisor and INT32_MIN for
INT32_MIN / -1. FLOOR_DIV / FLOOR_MOD (from pytool/ops/f32_math.py) round
down and take the divisor's sign, with the same undefined cases (remainder 0). Not a registered op type: those modules call `maybe_lower`.
params: [kind].
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered

OPCODE = 63
KINDS = ("ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM", "SQUARED_DIFFERENCE", "DIV", "FLOOR_DIV", "FLOOR_MOD")


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    q = np.abs(a) // np.where(b == 0, 1, np.abs(b))
    return np.where(b == 0, 0, np.where((a < 0) != (b < 0), -q, q))


def _floor_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where(b == 0, 0, np.where(b == -1, -a, a // np.where(b == 0, 1, b)))


def _floor_mod(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where((b == 0) | (b == -1), 0, np.mod(a, np.where(b == 0, 1, b)))


_NUMPY = (np.add, np.subtract, np.multiply, np.maximum, np.minimum, lambda a, b: (a - b) * (a - b), _div,
          _floor_div, _floor_mod)


def maybe_lower(g: Graph, op: Op) -> Lowered | None:
    names = [op.inputs[0], op.inputs[1], op.outputs[0]]
    raw = ("int32", "int64") if op.type in ("MAXIMUM", "MINIMUM") else ("int32",)  # int64: TFLite Micro's min/max
    if len({g.tensors[n].dtype for n in names}) != 1 or g.tensors[names[0]].dtype not in raw:
        return None
    if op.attrs.get("activation", "NONE") != "NONE":
        raise IRError(f"{op.type} '{op.name}': int32 with fused {op.attrs['activation']} is not supported")
    if len(g.tensors[op.outputs[0]].shape) > 4:
        raise IRError(f"{op.type} '{op.name}': int32 rank {len(g.tensors[op.outputs[0]].shape)} is above 4")
    return Lowered(inputs=names[:2], params=[KINDS.index(op.type)], opcode=OPCODE)


def ref(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    y = _NUMPY[low.params[0]](np.asarray(xs[0], np.int64), np.asarray(xs[1], np.int64))
    if g.tensors[op.outputs[0]].dtype == "int64":  # MAXIMUM / MINIMUM: exact
        return [y.reshape(g.tensors[op.outputs[0]].shape)]
    y = ((y + 2**31) % 2**32) - 2**31
    return [y.astype(np.int32).reshape(g.tensors[op.outputs[0]].shape)]
