"""SignalDelay (stateful). IR: inputs [x int16 [..., n], state int16 [rows,
delay_length] (a variable the reader adds)], outputs [y int16, x's shape],
attrs {delay_length}: every row is delayed by delay_length samples across
invokes (TFLite Micro keeps a circular buffer primed with zeros; its fill
level is always delay_length between invokes, so the state is just the last
delay_length samples).

C (runtime_c/src/ops/signal_delay.c): inputs [x, state]; params [delay_length]."""

from __future__ import annotations

import sys

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.signal_common import attr, check_dtypes, ref_float_via_int

OPCODE = 109
TYPES = ("int16",)
STATE_INPUTS = (1,)


def state_spec(shape: tuple, attrs: dict, dtype: str = "int16") -> np.ndarray:
    rows = int(np.prod(shape[:-1], dtype=np.int64)) if shape else 1
    return np.zeros((rows, attrs["delay_length"]), np.int16)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [g.tensors[op.inputs[0]].shape]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return ref_float_via_int(g, op, sys.modules[__name__], xs)


def lower(g: Graph, op: Op) -> Lowered:
    if len(op.inputs) != 2:
        raise IRError(f"{op.type} '{op.name}': expected inputs [x, delay state]")
    check_dtypes(g, op, [*op.inputs, op.outputs[0]], ["int16"] * 3)
    d = attr(op, "delay_length")
    shape = g.tensors[op.inputs[0]].shape
    if d < 0 or not shape or g.tensors[op.inputs[1]].shape != state_spec(shape, op.attrs).shape:
        raise IRError(f"{op.type} '{op.name}': delay_length {d} or the state shape does not fit input {shape}")
    return Lowered(inputs=list(op.inputs), params=[d])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    x, st = np.asarray(xs[0]), np.asarray(xs[1], np.int16)
    n = x.shape[-1]
    seq = np.concatenate([st, x.reshape(-1, n).astype(np.int16)], axis=1)
    return [seq[:, :n].reshape(x.shape), seq[:, n:]]
