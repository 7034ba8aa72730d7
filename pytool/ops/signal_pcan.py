"""SignalPCAN (per-channel amplitude normalisation, fixed point). IR: inputs
[x uint32 [c], noise_estimate uint32 [c], gain_lut int16 [125]], outputs
[uint32 [c]], attrs {snr_shift}. Per channel: gain = TFLite Micro's
WideDynamicFunction(noise) (a piecewise quadratic from the table; an int16
read back as uint32), snr = (x * gain) >> snr_shift, y = PcanShrink(snr)
(x^2 / 4 below 2, x - 1 above, 12 -> 6 fractional bits).

C (runtime_c/src/ops/signal_pcan.c): inputs [x, noise_estimate, gain_lut];
params [snr_shift]."""

from __future__ import annotations

import sys

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.signal_common import attr, check_dtypes, check_rank, msb32, ref_float_via_int, u32

OPCODE = 107
TYPES = ("int16",)
LUT_MIN = 4 * 32 - 6 + 3  # the largest index WideDynamicFunction reads, plus one


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [g.tensors[op.inputs[0]].shape]


def macs(g: Graph, op: Op) -> int:
    return 4 * g.tensors[op.inputs[0]].numel


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return ref_float_via_int(g, op, sys.modules[__name__], xs)


def lower(g: Graph, op: Op) -> Lowered:
    if len(op.inputs) != 3:
        raise IRError(f"{op.type} '{op.name}': expected 3 inputs (x, noise_estimate, gain_lut)")
    names = [*op.inputs, op.outputs[0]]
    check_dtypes(g, op, names, ["uint32", "uint32", "int16", "uint32"])
    for n in names:
        check_rank(g, op, n, 1)
    c = g.tensors[op.inputs[0]].shape[0]
    if c < 1 or g.tensors[op.inputs[1]].shape[0] != c or g.tensors[op.outputs[0]].shape[0] != c:
        raise IRError(f"{op.type} '{op.name}': input, noise estimate and output lengths differ")
    if g.tensors[op.inputs[2]].shape[0] < LUT_MIN:
        raise IRError(f"{op.type} '{op.name}': gain_lut has {g.tensors[op.inputs[2]].shape[0]} entries, "
                      f"at least {LUT_MIN} are needed")
    shift = attr(op, "snr_shift")
    if not 0 <= shift <= 63:
        raise IRError(f"{op.type} '{op.name}': snr_shift {shift} is outside 0..63")
    return Lowered(inputs=list(op.inputs), params=[shift])


def _wrap32(v: np.ndarray) -> np.ndarray:
    return ((np.asarray(v, np.int64) + 2**31) & 0xFFFFFFFF) - 2**31


def wide_dynamic(x: np.ndarray, lut: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.int64)
    lut = np.asarray(lut, np.int64)
    small = x <= 2
    interval = msb32(x)
    base = np.where(small, 0, 4 * interval - 6)
    frac = np.where(interval < 11, x << np.maximum(11 - interval, 0), x >> np.maximum(interval - 11, 0)) & 0x3FF
    r = (lut[np.where(small, 0, base + 2)] * frac) >> 5
    r = _wrap32(r + lut[np.where(small, 0, base + 1)] * 32)
    r = _wrap32(r * frac)
    r = (r + (1 << 14)) >> 15
    r = r + lut[np.where(small, 0, base)]
    g = ((r + 32768) & 0xFFFF) - 32768
    return np.where(small, lut[np.minimum(x, 2)], g)


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    x, noise, lut = xs
    gain = u32(wide_dynamic(u32(noise).astype(np.int64), lut))
    with np.errstate(over="ignore"):
        snr = u32((u32(x) * gain) >> np.uint64(low.params[0]))
    y = np.where(snr < (2 << 12), (snr * snr) >> np.uint64(20), (snr >> np.uint64(6)) - np.uint64(64))
    return [u32(y).astype(np.uint32)]
