"""SignalFilterBankSpectralSubtraction (stateful). IR: inputs [x uint32 [c],
noise_state uint32 [c] (a variable the reader adds: TFLite Micro keeps the
noise estimate inside the op, zeroed at Prepare and Reset)], outputs [y uint32
[c], noise_estimate uint32 [c]], attrs {smoothing, one_minus_smoothing,
alternate_smoothing, alternate_one_minus_smoothing, smoothing_bits,
spectral_subtraction_bits, min_signal_remaining, clamping, num_channels}.
Per channel (even channels smoothing, odd the alternate pair): the noise
estimate is a first-order smoother of x << smoothing_bits; y is x minus the
estimate, floored at x * min_signal_remaining (uint32/uint64 arithmetic).

C (runtime_c/src/ops/signal_spectral_subtraction.c): inputs [x, noise_state];
params [smoothing, one_minus_smoothing, alternate_smoothing,
alternate_one_minus_smoothing, smoothing_bits, spectral_subtraction_bits,
min_signal_remaining, clamping]."""

from __future__ import annotations

import sys

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.signal_common import attr, check_dtypes, check_rank, ref_float_via_int, u32

OPCODE = 106
TYPES = ("int16",)
STATE_INPUTS = (1,)
KEYS = ("smoothing", "one_minus_smoothing", "alternate_smoothing", "alternate_one_minus_smoothing",
        "smoothing_bits", "spectral_subtraction_bits", "min_signal_remaining", "clamping")


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [g.tensors[op.inputs[0]].shape] * 2


def macs(g: Graph, op: Op) -> int:
    return 3 * g.tensors[op.inputs[0]].numel


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return ref_float_via_int(g, op, sys.modules[__name__], xs)


def lower(g: Graph, op: Op) -> Lowered:
    if len(op.inputs) != 2 or len(op.outputs) != 2:
        raise IRError(f"{op.type} '{op.name}': expected inputs [x, noise state] and 2 outputs")
    names = [*op.inputs, *op.outputs]
    check_dtypes(g, op, names, ["uint32"] * 4)
    for n in names:
        check_rank(g, op, n, 1)
    nc = attr(op, "num_channels")
    if any(g.tensors[n].shape[0] != nc for n in names):
        raise IRError(f"{op.type} '{op.name}': every tensor must have num_channels = {nc} entries")
    p = [attr(op, k) for k in KEYS]
    if not (0 <= p[4] <= 31 and 0 <= p[5] <= 63):
        raise IRError(f"{op.type} '{op.name}': smoothing_bits {p[4]} or spectral_subtraction_bits {p[5]} "
                      "is out of range")
    for k, v in zip(KEYS[:4] + KEYS[6:7], p[:4] + p[6:7]):
        if not -(2**31) <= v < 2**32:  # TFLite Micro reads int32 and keeps them as uint32
            raise IRError(f"{op.type} '{op.name}': {k} = {v} does not fit 32 bits")
    p = [((v + 2**31) % 2**32) - 2**31 for v in p[:7]] + [int(bool(p[7]))]
    return Lowered(inputs=list(op.inputs), params=p)


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    sm, osm, asm, aosm, sbits, ssbits, msr, clamp = low.params
    x = u32(xs[0])
    noise = u32(xs[1])
    odd = (np.arange(x.size) & 1).astype(bool)
    smooth = u32(np.where(odd, asm, sm))
    one_minus = u32(np.where(odd, aosm, osm))
    up = u32(x << np.uint64(sbits))
    with np.errstate(over="ignore"):
        noise = u32((up * smooth + noise * one_minus) >> np.uint64(ssbits))
        est = np.minimum(noise, up)
        if clamp:
            noise = est
        floor = u32((x * u32(msr)) >> np.uint64(ssbits))
    sub = (up - est) >> np.uint64(sbits)
    y = np.maximum(sub, floor).astype(np.uint32)
    return [y, noise.astype(np.uint32), noise.astype(np.uint32)]
