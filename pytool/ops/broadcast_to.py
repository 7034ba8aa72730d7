"""BROADCAST_TO. IR: inputs [x, shape const int32/int64]; y = x broadcast to
shape (numpy rules). A constant x is folded at read time.

C: the strided-view copy (STRIDED_SLICE's C op) with step 0 on the broadcast
axes, any integer dtype; raw values, so the quantization passes through
(TFLite Micro copies bytes too).
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.data_movement import const_ints, ref_gather
from pytool.ops.strided_slice import OPCODE, check_same_dtype, view_params

TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)


def _target(g: Graph, op: Op) -> tuple[int, ...]:
    return tuple(const_ints(g, op, 1, "shape"))


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    x, shape = g.tensors[op.inputs[0]].shape, _target(g, op)
    try:
        if tuple(np.broadcast_shapes(tuple(x), shape)) != shape:
            raise ValueError
    except ValueError:
        raise IRError(f"BROADCAST_TO '{op.name}': shape {list(x)} does not broadcast to {list(shape)}") from None
    return [shape]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return [np.broadcast_to(np.asarray(xs[0]), _target(g, op)).copy()]


def lower(g: Graph, op: Op) -> Lowered:
    shape = _target(g, op)
    if len(shape) > 5:
        raise IRError(f"BROADCAST_TO '{op.name}': rank {len(shape)} is above the runtime's 5")
    x = list(g.tensors[op.inputs[0]].shape)
    x = [1] * (len(shape) - len(x)) + x
    step = [0 if d == 1 and n != 1 else 1 for d, n in zip(x, shape)]
    check_same_dtype(g, op, [op.inputs[0], op.outputs[0]], raw=True)
    # The view reads the input with its rank lifted to the output's.
    params = view_params(0, x, [([0] * len(shape), step, list(shape))])
    return Lowered(inputs=[op.inputs[0]], params=params, opcode=OPCODE)


ref_int8 = ref_gather
__all__ = ["OPCODE", "TYPES", "infer_shapes", "lower", "macs", "ref_float", "ref_int8"]
