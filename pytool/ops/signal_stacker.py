"""SignalStacker (stateful). IR: inputs [x int16 [channels], state int16
[buffer + 2] (a variable the reader adds: the queued samples, their count,
a first-frame flag)], outputs [y int16 [buffer], valid bool []], attrs
{num_channels, stacker_left_context, stacker_right_context, stacker_step};
buffer = channels * (left + right + 1). Each frame joins the queue (the very
first one left_context more times); a full queue is emitted and step frames
dropped, else valid is false (TFLite Micro then leaves y untouched, stale
arena bytes; ours writes zeros).

C (runtime_c/src/ops/signal_stacker.c): inputs [x, state]; params [channels,
left, buffer, step_size]."""

from __future__ import annotations

import sys

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.signal_common import attr, check_stateful_io, ref_float_via_int

OPCODE = 112
TYPES = ("int16",)
STATE_INPUTS = (1,)


def _buffer(attrs: dict) -> int:
    return attrs["num_channels"] * (attrs["stacker_left_context"] + attrs["stacker_right_context"] + 1)


def state_spec(shape: tuple, attrs: dict, dtype: str = "int16") -> np.ndarray:
    return np.zeros(max(_buffer(attrs), 0) + 2, np.int16)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [(_buffer(op.attrs),), ()]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return ref_float_via_int(g, op, sys.modules[__name__], xs)


def lower(g: Graph, op: Op) -> Lowered:
    check_stateful_io(g, op, "stacker state", "y")
    nc, left = attr(op, "num_channels"), attr(op, "stacker_left_context")
    right, step = attr(op, "stacker_right_context"), attr(op, "stacker_step")
    buf = _buffer(op.attrs)
    if (nc <= 0 or left < 0 or right < 0 or not 0 < step <= left + right + 1 or buf > 32767
            or g.tensors[op.inputs[0]].shape != (nc,)):
        raise IRError(f"{op.type} '{op.name}': num_channels {nc}, contexts ({left}, {right}) and step {step} "
                      f"do not fit input {g.tensors[op.inputs[0]].shape}")
    return Lowered(inputs=list(op.inputs), params=[nc, left, buf, nc * step])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    nc, left, buf, step = low.params
    x = list(np.asarray(xs[0], np.int16))
    st = np.asarray(xs[1], np.int16).copy()
    q = list(st[:int(st[buf])]) + x
    if not st[buf + 1]:
        q += x * left
        st[buf + 1] = 1
    y = np.zeros(buf, np.int16)
    valid = len(q) >= buf
    if valid:
        y[:] = q[:buf]
        q = q[step:]
    st[:buf] = 0
    st[:len(q)] = q
    st[buf] = len(q)
    return [y, np.array(valid), st]
