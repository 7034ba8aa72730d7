"""ARG_MAX (and ARG_MIN through arg_min.py). IR: inputs [x, axis const], attrs
{} ; the output dtype (int32 or int64) is the output tensor's.

C: inputs [x]; params [is_min, outer, axis_size, inner]; the first extreme
wins, as TFLite Micro's ArgMinMax (strict comparison).
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32
from pytool.ops.data_movement import const_ints, norm_axis

OPCODE = 44
TYPES = ("int8",)
IS_MIN = 0


def _view(g: Graph, op: Op) -> tuple[int, int, int, int]:
    shape = g.tensors[op.inputs[0]].shape
    a = norm_axis(op, const_ints(g, op, 1, "axis")[0], len(shape))
    return a, int(np.prod(shape[:a], dtype=np.int64)), shape[a], int(np.prod(shape[a + 1:], dtype=np.int64))


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    a = _view(g, op)[0]
    shape = g.tensors[op.inputs[0]].shape
    return [tuple(d for k, d in enumerate(shape) if k != a)]


def macs(g: Graph, op: Op) -> int:
    return 0


def _pick(x: np.ndarray, a: int, is_min: int) -> np.ndarray:
    return np.argmin(x, axis=a) if is_min else np.argmax(x, axis=a)  # first occurrence, as the C


def ref_float(g: Graph, op: Op, xs: list) -> list:
    y = _pick(np.asarray(xs[0]), _view(g, op)[0], IS_MIN)
    return [y.astype(g.tensors[op.outputs[0]].np_dtype)]


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    x, y = op.inputs[0], op.outputs[0]
    if g.tensors[x].dtype != "int8" or g.tensors[y].dtype not in ("int32", "int64"):
        raise IRError(f"{op.type} '{op.name}': int8 input and int32/int64 output expected")
    _, outer, axis, inner = _view(g, op)
    return Lowered(inputs=[x], params=[IS_MIN, outer, axis, inner], opcode=OPCODE)


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    is_min, outer, axis, inner = low.params
    y = _pick(np.asarray(xs[0]).reshape(outer, axis, inner), 1, is_min)
    return [y.reshape(g.tensors[op.outputs[0]].shape).astype(g.tensors[op.outputs[0]].np_dtype)]
