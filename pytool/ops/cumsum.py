"""CUMSUM. IR: inputs [x, axis const int32 (one element)], attrs {exclusive,
reverse}.

C (int8, as TFLite Micro): ADD_N's requantization (pytool/ops/add_n.py), then
[pre, depth, post, exclusive, reverse] for the axis: a running sum of the
rescaled inputs seeded with the rescaled zero input, each partial sum rescaled.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32
from pytool.ops.add_n import requant_params, rescale_in, rescale_out
from pytool.ops.data_movement import const_ints, norm_axis

OPCODE = 61
TYPES = ("int8",)  # TFLite Micro's CUMSUM takes float32 and int8


def _axis(g: Graph, op: Op) -> int:
    axis = const_ints(g, op, 1, "axis")
    if len(axis) != 1:
        raise IRError(f"CUMSUM '{op.name}': axis must have one element, got {axis}")
    return norm_axis(op, axis[0], len(g.tensors[op.inputs[0]].shape))


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    _axis(g, op)
    return [g.tensors[op.inputs[0]].shape]


def macs(g: Graph, op: Op) -> int:
    return g.tensors[op.inputs[0]].numel


def _cum(x: np.ndarray, axis: int, exclusive: bool, reverse: bool) -> np.ndarray:
    if reverse:
        x = np.flip(x, axis)
    y = np.cumsum(x, axis=axis)
    if exclusive:
        y = y - x
    return np.flip(y, axis) if reverse else y


def ref_float(g: Graph, op: Op, xs: list) -> list:
    a = op.attrs
    y = _cum(np.asarray(xs[0], np.float32), _axis(g, op), bool(a.get("exclusive")), bool(a.get("reverse")))
    return [y.astype(np.float32)]


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    shape = g.tensors[op.inputs[0]].shape
    axis = _axis(g, op)
    pre, post = int(np.prod(shape[:axis], dtype=np.int64)), int(np.prod(shape[axis + 1:], dtype=np.int64))
    params = requant_params(g, op, [op.inputs[0]])
    flags = [int(bool(op.attrs.get("exclusive"))), int(bool(op.attrs.get("reverse")))]
    return Lowered(inputs=[op.inputs[0]], params=[*params, pre, int(shape[axis]), post, *flags])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    pre, depth, post, exclusive, reverse = low.params[9:]
    x = rescale_in(np.asarray(xs[0]).reshape(pre, depth, post), low.params)
    acc = rescale_in(0, low.params) + _cum(x, 1, bool(exclusive), bool(reverse))
    return [rescale_out(acc, low.params).reshape(g.tensors[op.outputs[0]].shape)]
