"""MAXIMUM. IR: inputs [a, b] (broadcasting as ADD), attrs {}.

C (int8 or int16): inputs [a, b], params []. As TFLite Micro, the raw values
are compared, so the inputs and the output must share one quantization.
MINIMUM shares this lowering (pytool/ops/minimum.py).
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, arith_i32, f32
from pytool.ops import add as _add
from pytool.ops.common import quant_of

OPCODE = 24
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)
infer_shapes = _add.infer_shapes


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return [np.maximum(np.asarray(xs[0], np.float32), np.asarray(xs[1], np.float32))]


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    if (low32 := arith_i32.maybe_lower(g, op)) is not None:
        return low32
    names = [op.inputs[0], op.inputs[1], op.outputs[0]]
    dts = {g.tensors[n].dtype for n in names}
    if len(dts) != 1 or not dts <= {"int8", "int16"}:
        raise IRError(f"{op.type} '{op.name}': tensors {names} must all be int8, int16, int32 or int64 "
                      f"(one type), got {sorted(dts)}")
    qs = {(float(quant_of(g, n, op).scale[0]), int(quant_of(g, n, op).zero_point[0])) for n in names}
    if len(qs) != 1:
        raise IRError(f"{op.type} '{op.name}': inputs and output must share one quantization (TFLite Micro compares "
                      "raw values)")
    return Lowered(inputs=names[:2], params=[])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    if low.opcode == arith_i32.OPCODE:
        return arith_i32.ref(g, op, low, xs)
    return [np.maximum(np.asarray(xs[0]), np.asarray(xs[1]))]
