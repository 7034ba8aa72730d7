"""SELECT_V2. IR: inputs [condition bool, x, y] (numpy broadcasting, rank
<= 4), attrs {}; out = condition ? x : y.

C (x, y and the output all int8 or all int16): inputs [condition, x, y],
params []. Raw values are copied (TFLite Micro does not requantize), so x, y
and the output are meant to share one quantization.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered

OPCODE = 54
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    shapes = [tuple(g.tensors[n].shape) for n in op.inputs[:3]]
    try:
        shape = tuple(int(d) for d in np.broadcast_shapes(*shapes))
    except ValueError:
        raise IRError(f"SELECT_V2 '{op.name}': input shapes {shapes} do not broadcast") from None
    return [shape]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return [np.where(np.asarray(xs[0], bool), xs[1], xs[2])]


def lower(g: Graph, op: Op) -> Lowered:
    c, x, y = op.inputs[:3]
    out = op.outputs[0]
    if g.tensors[c].dtype != "bool":
        raise IRError(f"SELECT_V2 '{op.name}': condition '{c}' is {g.tensors[c].dtype}, bool expected")
    dts = {g.tensors[n].dtype for n in (x, y, out)}
    if len(dts) != 1 or not dts <= {*TYPES, "float32"}:  # float32: a value copy too
        raise IRError(f"SELECT_V2 '{op.name}': x, y and the output are {sorted(dts)}; all int8, all int16 or "
                      "all float32 expected")
    if len(g.tensors[out].shape) > 4:
        raise IRError(f"SELECT_V2 '{op.name}': rank {len(g.tensors[out].shape)} is above 4")
    return Lowered(inputs=[c, x, y], params=[])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    y = g.tensors[op.outputs[0]]
    return [np.where(np.asarray(xs[0], bool), xs[1], xs[2]).astype(y.np_dtype).reshape(y.shape)]
