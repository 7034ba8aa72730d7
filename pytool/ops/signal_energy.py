"""SignalEnergy. IR: inputs [spectrum int16 [2 n] (re, im pairs)], outputs
[energy uint32 [n]], attrs {start_index, end_index}: re^2 + im^2 (int32
arithmetic, read as uint32) for bins in [start, end). TFLite Micro leaves the
other bins untouched (stale arena bytes); ours writes 0 there.

C (runtime_c/src/ops/signal_energy.c): inputs [spectrum]; params [start, end]."""

from __future__ import annotations

import sys

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.signal_common import attr, check_vector_io, ref_float_via_int

OPCODE = 103
TYPES = ("int16",)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [g.tensors[op.outputs[0]].shape]


def macs(g: Graph, op: Op) -> int:
    return g.tensors[op.inputs[0]].numel


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return ref_float_via_int(g, op, sys.modules[__name__], xs)


def lower(g: Graph, op: Op) -> Lowered:
    x, y = check_vector_io(g, op, "int16", "uint32")
    start, end = attr(op, "start_index"), attr(op, "end_index")
    n_in, n_out = g.tensors[x].shape[0] // 2, g.tensors[y].shape[0]
    if not 0 <= start <= end <= min(n_in, n_out):
        raise IRError(f"{op.type} '{op.name}': bins [{start}, {end}) do not fit the spectrum of {n_in} "
                      f"and the output of {n_out} bins")
    return Lowered(inputs=[x], params=[start, end])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    start, end = low.params
    x = np.asarray(xs[0], np.int64).reshape(-1, 2)
    out = np.zeros(g.tensors[op.outputs[0]].shape, np.uint32)
    e = x[start:end, 0] ** 2 + x[start:end, 1] ** 2
    out[start:end] = (e & 0xFFFFFFFF).astype(np.uint32)
    return [out]
