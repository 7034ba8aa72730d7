"""MINIMUM. IR: inputs [a, b] (broadcasting as ADD), attrs {}.

C (int8 or int16): as MAXIMUM (pytool/ops/maximum.py), the smaller raw value.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, Op
from pytool.ops import Lowered, arith_i32, f32
from pytool.ops.maximum import TYPES, infer_shapes, lower, macs

OPCODE = 25
__all__ = ["OPCODE", "TYPES", "infer_shapes", "lower", "macs", "ref_float", "ref_int8"]


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return [np.minimum(np.asarray(xs[0], np.float32), np.asarray(xs[1], np.float32))]


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    if low.opcode == arith_i32.OPCODE:
        return arith_i32.ref(g, op, low, xs)
    return [np.minimum(np.asarray(xs[0]), np.asarray(xs[1]))]
