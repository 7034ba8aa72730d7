"""EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL (one module for
all six). IR: inputs [a, b] (broadcasting as ADD), attrs {}; a bool output.

C (int8 inputs, as TFLite Micro's *WithScaling kernels; int32, int64 and, for EQUAL /
NOT_EQUAL, bool compared raw, as its *NoScaling ones): inputs [a, b],
params [kind, -za, a multiplier, a shift, -zb, b multiplier, b shift], each
multiplier QuantizeMultiplierSmallerThanOneExp(scale); the compared values
are MultiplyByQuantizedMultiplier((v - z) << 8). The output is bool (one byte,
0 or 1).
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32
from pytool.ops import add as _add
from pytool.ops.unary_common import per_tensor
from quantize.fixedpoint import multiply_by_quantized_multiplier

OPCODE = 53
TYPES = ("int8",)  # activation dtypes the C kernels take (README table)
KINDS = ("EQUAL", "NOT_EQUAL", "GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL")
NUMPY = (np.equal, np.not_equal, np.greater, np.greater_equal, np.less, np.less_equal)
infer_shapes = _add.infer_shapes


def macs(g: Graph, op: Op) -> int:
    return 0


def _kind(op: Op) -> int:
    return KINDS.index(op.type)


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return [NUMPY[_kind(op)](np.asarray(xs[0]), np.asarray(xs[1]))]


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    a, b, y = op.inputs[0], op.inputs[1], op.outputs[0]
    dts = {g.tensors[a].dtype, g.tensors[b].dtype}
    raw = ({"int32"}, {"int64"}, *([{"bool"}] if op.type in ("EQUAL", "NOT_EQUAL") else []))
    if dts != {"int8"} and dts not in raw:
        raise IRError(f"{op.type} '{op.name}': inputs are {sorted(dts)}; the kernels compare int8 (TFLite Micro's "
                      "quantized comparisons) or raw int32 / int64 (and bool for EQUAL / NOT_EQUAL)")
    if g.tensors[y].dtype != "bool":
        raise IRError(f"{op.type} '{op.name}': output '{y}' is {g.tensors[y].dtype}, bool expected")
    if len(g.tensors[y].shape) > 4:
        raise IRError(f"{op.type} '{op.name}': rank {len(g.tensors[y].shape)} is above 4")
    params = [_kind(op)]
    if dts != {"int8"}:
        return Lowered(inputs=[a, b], params=params + [0] * 6)
    for n in (a, b):
        q = per_tensor(g, op, n)
        params += [-int(q.zero_point[0]), *_add.smaller_than_one(op, f"input '{n}' scale", float(q.scale[0]))]
    return Lowered(inputs=[a, b], params=params)


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    kind, oa, ma, sa, ob, mb, sb = low.params
    a, b = np.broadcast_arrays(np.asarray(xs[0], np.int64), np.asarray(xs[1], np.int64))
    if g.tensors[op.inputs[0]].dtype != "int8":  # raw: int32, int64, bool (as 0 / 1)
        return [NUMPY[kind](a, b).reshape(g.tensors[op.outputs[0]].shape)]
    va = multiply_by_quantized_multiplier((a + oa) << 8, ma, sa)
    vb = multiply_by_quantized_multiplier((b + ob) << 8, mb, sb)
    return [NUMPY[kind](va, vb).reshape(g.tensors[op.outputs[0]].shape)]
