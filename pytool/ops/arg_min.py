"""ARG_MIN: ARG_MAX's module with the comparison reversed (same C op)."""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, Op
from pytool.ops import Lowered, f32
from pytool.ops import arg_max as _am

OPCODE, TYPES, infer_shapes, macs, ref_int8 = _am.OPCODE, _am.TYPES, _am.infer_shapes, _am.macs, _am.ref_int8


def ref_float(g: Graph, op: Op, xs: list) -> list:
    y = np.argmin(np.asarray(xs[0]), axis=_am._view(g, op)[0])
    return [y.astype(g.tensors[op.outputs[0]].np_dtype)]


def lower(g: Graph, op: Op) -> Lowered:
    low = _am.lower(g, op)
    if low.opcode != f32.OPCODE:  # the float kernel reads op.type itself
        low.params[0] = 1
    return low
