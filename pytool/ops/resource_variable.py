"""READ_VARIABLE / ASSIGN_VARIABLE on a resource variable's state tensor
(pytool/frontends/tflite_resource.py makes one per resource, kept in
g.meta["variables"]).

IR: READ_VARIABLE inputs [state], outputs [y]; ASSIGN_VARIABLE inputs
[value, state], no output (the state is its result, STATE_INPUTS).
Both are byte copies, as TFLite Micro's (its resource buffer is memcpy'd):
READ_VARIABLE runs on RESHAPE's C op, ASSIGN_VARIABLE on its own (copies
input 0 into input 1). Any dtype: the bytes are not interpreted.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered

OPCODE = 80
TYPES = ("int8", "int16", "float32")
STATE_INPUTS = (1,)  # ASSIGN_VARIABLE's result is the state's new value
_RESHAPE = 10


def _check(g: Graph, op: Op) -> tuple:
    if op.type == "READ_VARIABLE":
        if len(op.inputs) != 1 or len(op.outputs) != 1:
            raise IRError(f"READ_VARIABLE '{op.name}': needs one state input and one output")
        src, dst = op.inputs[0], op.outputs[0]
    else:
        if len(op.inputs) != 2 or op.outputs:
            raise IRError(f"ASSIGN_VARIABLE '{op.name}': needs a value and a state input, no output")
        src, dst = op.inputs
    a, b = g.tensors[src], g.tensors[dst]
    if a.nbytes != b.nbytes or a.dtype != b.dtype:
        raise IRError(f"{op.type} '{op.name}': '{src}' is {a.dtype}{list(a.shape)}, "
                      f"'{dst}' is {b.dtype}{list(b.shape)}")
    if op.inputs[-1] not in g.meta.get("variables", {}):
        raise IRError(f"{op.type} '{op.name}': '{op.inputs[-1]}' is not a variable")
    return src, dst


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    _check(g, op)
    return [g.tensors[n].shape for n in op.outputs]


def macs(g: Graph, op: Op) -> int:
    return 0


def _copy(g: Graph, op: Op, x) -> list:
    _, dst = _check(g, op)
    return [np.array(x).reshape(g.tensors[dst].shape)]


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return _copy(g, op, xs[0])


def lower(g: Graph, op: Op) -> Lowered:
    src, dst = _check(g, op)
    if op.type == "READ_VARIABLE":
        return Lowered(inputs=[src], params=[], opcode=_RESHAPE)
    return Lowered(inputs=[src, dst], params=[])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    return _copy(g, op, xs[0])
