"""FILL. IR: inputs [dims const int32/int64, value (one element)]; y has shape
dims, every element the value. Both inputs constant fold at read time.

C: BROADCAST_TO's strided-view copy (STRIDED_SLICE's C op) with step 0 on
every axis; raw values in any element size (int8, int16, int32, float32), so
a quantized value keeps its bytes, as TFLite Micro's FILL copies them.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.data_movement import const_ints, ref_gather
from pytool.ops.strided_slice import OPCODE, check_same_dtype, view_params

TYPES = ("int8", "int16")  # float32 too (pytool/ops/f32.py COPY_OPS)


def _dims(g: Graph, op: Op) -> tuple[int, ...]:
    dims = tuple(const_ints(g, op, 0, "dims"))
    if any(d < 0 for d in dims):
        raise IRError(f"FILL '{op.name}': dims {list(dims)} has a negative size")
    return dims


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [_dims(g, op)]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return [np.full(_dims(g, op), np.asarray(xs[1]).reshape(()))]


def lower(g: Graph, op: Op) -> Lowered:
    shape = list(_dims(g, op)) or [1]
    value = op.inputs[1]
    if g.tensors[value].numel != 1:
        raise IRError(f"FILL '{op.name}': value '{value}' has shape {list(g.tensors[value].shape)}; a scalar expected")
    if len(shape) > 5:
        raise IRError(f"FILL '{op.name}': rank {len(shape)} is above the runtime's 5")
    check_same_dtype(g, op, [value, op.outputs[0]])
    params = view_params(0, [1] * len(shape), [([0] * len(shape), [0] * len(shape), shape)])
    return Lowered(inputs=[value], params=params, opcode=OPCODE)


ref_int8 = ref_gather
__all__ = ["OPCODE", "TYPES", "infer_shapes", "lower", "macs", "ref_float", "ref_int8"]
