"""SignalFramer (stateful). IR: inputs [x int16 [..., k * frame_step], state
int16 [rows, capacity + 1] (a variable the reader adds: the queued samples,
then their count)], outputs [frames int16 [..., k, frame_size], valid bool []],
attrs {frame_size, frame_step, prefill}. Per row, each step of samples joins
the queue; a full frame is emitted and frame_step samples dropped, else
valid is false (TFLite Micro leaves that frame's output untouched, stale
arena bytes; ours writes zeros). prefill queues frame_size - frame_step zeros at the start.

C (runtime_c/src/ops/signal_framer.c): inputs [x, state]; params [frame_size,
frame_step, capacity]."""

from __future__ import annotations

import sys

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.signal_common import attr, check_stateful_io, ref_float_via_int

OPCODE = 111
TYPES = ("int16",)
STATE_INPUTS = (1,)


def _capacity(attrs: dict) -> int:
    size, step = attrs["frame_size"], attrs["frame_step"]
    return -(-size // step) * step if step > 0 else 0


def state_spec(shape: tuple, attrs: dict, dtype: str = "int16") -> np.ndarray:
    rows = int(np.prod(shape[:-1], dtype=np.int64)) if shape else 1
    cap = _capacity(attrs)
    st = np.zeros((rows, cap + 1), np.int16)
    if attrs.get("prefill"):
        st[:, cap] = attrs["frame_size"] - attrs["frame_step"]
    return st


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    shape = g.tensors[op.inputs[0]].shape
    return [(*shape[:-1], shape[-1] // attr(op, "frame_step"), attr(op, "frame_size")), ()]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return ref_float_via_int(g, op, sys.modules[__name__], xs)


def lower(g: Graph, op: Op) -> Lowered:
    check_stateful_io(g, op, "framer state", "frames")
    size, step = attr(op, "frame_size"), attr(op, "frame_step")
    shape = g.tensors[op.inputs[0]].shape
    if step <= 0 or size < step or not shape or shape[-1] % step or _capacity(op.attrs) > 32767:
        raise IRError(f"{op.type} '{op.name}': frame_size {size} / frame_step {step} do not fit input {shape}")
    return Lowered(inputs=list(op.inputs), params=[size, step, _capacity(op.attrs)])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list, prev: np.ndarray | None = None) -> list:
    size, step, cap = low.params
    x = np.asarray(xs[0], np.int16)
    st = np.asarray(xs[1], np.int16).copy()
    rows, nfr = st.shape[0], x.shape[-1] // step
    x = x.reshape(rows, nfr, step)
    out = np.zeros((rows, nfr, size), np.int16)  # frames never emitted stay 0 here (stale in TFLite Micro)
    valid = True
    for r in range(rows):
        q = list(st[r, :int(st[r, cap])])
        for f in range(nfr):
            q += list(x[r, f])
            if len(q) >= size:
                out[r, f] = q[:size]
                q = q[step:]
            else:
                valid = False
        st[r] = 0
        st[r, :len(q)] = q
        st[r, cap] = len(q)
    return [out.reshape(g.tensors[op.outputs[0]].shape), np.array(valid), st]
