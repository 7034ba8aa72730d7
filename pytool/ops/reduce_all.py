"""REDUCE_ALL (TFLite Micro: bool only) and REDUCE_ANY (TFLite has it, TFLite
Micro does not register it; same arithmetic). IR: inputs [x bool, axes
const], attrs {keep_dims}. On bools stored as 0 / 1 bytes, all is the minimum
and any the maximum, so both run REDUCE_MAX's C op (REDUCE_ALL with its
is_min flag) over the same [outer, reduce, inner] view, or its 5-D form for
axes that are not contiguous.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, reduce_max
from pytool.ops.mean import infer_shapes
from pytool.ops.reduce_max import OPCODE, REDUCE, macs, minmax_params, reduce_lowered

TYPES = ("bool",)
__all__ = ["OPCODE", "TYPES", "infer_shapes", "lower", "macs", "ref_float", "ref_int8"]


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return reduce_max.ref_float(g, op, [np.asarray(xs[0], bool), *xs[1:]])


def lower(g: Graph, op: Op) -> Lowered:
    dx, dy = g.tensors[op.inputs[0]].dtype, g.tensors[op.outputs[0]].dtype
    if dx != "bool" or dy != "bool":
        raise IRError(f"{op.type} '{op.name}': input {dx} and output {dy}; bool in and out expected "
                      "(TFLite Micro's REDUCE_ALL takes bool only)")
    is_min = 1 if op.type == "REDUCE_ALL" else 0
    return Lowered(inputs=[op.inputs[0]], params=minmax_params(g, op, [is_min]), opcode=OPCODE)


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    return [reduce_lowered(low, np.asarray(xs[0], bool), REDUCE[op.type]).reshape(g.tensors[op.outputs[0]].shape)]
