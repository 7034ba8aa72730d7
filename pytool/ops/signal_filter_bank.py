"""SignalFilterBank. IR: inputs [energy uint32 [bins], weights int16 [k],
unweights int16 [k], channel_frequency_starts int16 [c+1],
channel_weight_starts int16 [c+1], channel_widths int16 [c+1]], outputs
[uint64 [c]], attrs {num_channels}. Each bin's energy is added, weighted, to
one channel and, unweighted, to the next (uint64 sums wrapping as in C); the
first of the c+1 accumulators is scratch and dropped (TFLite Micro's
FilterbankAccumulateChannels).

C (runtime_c/src/ops/signal_filter_bank.c): the six inputs; params [num_channels]."""

from __future__ import annotations

import sys

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.signal_common import attr, check_dtypes, check_rank, ref_float_via_int

OPCODE = 104
TYPES = ("int16",)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [(attr(op, "num_channels"),)]


def macs(g: Graph, op: Op) -> int:
    return 2 * g.tensors[op.inputs[1]].numel


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return ref_float_via_int(g, op, sys.modules[__name__], xs)


def lower(g: Graph, op: Op) -> Lowered:
    if len(op.inputs) != 6:
        raise IRError(f"{op.type} '{op.name}': expected 6 inputs, got {len(op.inputs)}")
    check_dtypes(g, op, [*op.inputs, op.outputs[0]], ["uint32"] + ["int16"] * 5 + ["uint64"])
    for n in [*op.inputs, op.outputs[0]]:
        check_rank(g, op, n, 1)
    nc = attr(op, "num_channels")
    bins, nw = g.tensors[op.inputs[0]].shape[0], g.tensors[op.inputs[1]].shape[0]
    if g.tensors[op.inputs[2]].shape[0] != nw:
        raise IRError(f"{op.type} '{op.name}': weights and unweights differ in length")
    for n in op.inputs[3:]:
        if g.tensors[n].shape[0] < nc + 1:
            raise IRError(f"{op.type} '{op.name}': '{n}' has fewer than num_channels + 1 = {nc + 1} entries")
    if g.tensors[op.outputs[0]].shape[0] != nc:
        raise IRError(f"{op.type} '{op.name}': output has {g.tensors[op.outputs[0]].shape[0]} channels, "
                      f"num_channels is {nc}")
    tabs = [g.tensors[n].data for n in op.inputs[3:]]
    if all(t is not None for t in tabs):  # constant tables (the usual case): check the ranges once here
        fs, ws, wd = (np.asarray(t, np.int64)[:nc + 1] for t in tabs)
        if (wd < 0).any() or (fs < 0).any() or (ws < 0).any() or (fs + wd > bins).any() or (ws + wd > nw).any():
            raise IRError(f"{op.type} '{op.name}': a channel reads past the {bins} energy bins "
                          f"or the {nw} weights")
    return Lowered(inputs=list(op.inputs), params=[nc])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    nc = low.params[0]
    x = np.asarray(xs[0], np.uint64)
    w, uw = (np.asarray(v, np.int64).astype(np.uint64) for v in xs[1:3])
    fs, ws, wd = (np.asarray(v, np.int64) for v in xs[3:6])
    out = np.zeros(nc, np.uint64)
    acc_w = np.uint64(0)
    with np.errstate(over="ignore"):
        for i in range(nc + 1):
            e = x[fs[i]:fs[i] + wd[i]]
            cw = acc_w + np.sum(w[ws[i]:ws[i] + wd[i]] * e, dtype=np.uint64)
            cu = np.sum(uw[ws[i]:ws[i] + wd[i]] * e, dtype=np.uint64)
            if i:
                out[i - 1] = cw
            acc_w = cu
    return [out]
