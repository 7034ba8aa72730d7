"""SignalFilterBankLog. IR: inputs [x uint32 [c]], outputs [int16 [c]], attrs
{input_correction_bits, output_scale}: TFLite Micro's Log32 (log2 from the
bit length and a 129-entry interpolated table, times ln 2 in Q16, times
output_scale in Q16, uint32 arithmetic) of x << input_correction_bits,
capped at 32767; inputs of 0 or 1 give 0.

C (runtime_c/src/ops/signal_filter_bank_log.c): inputs [x]; params
[input_correction_bits, output_scale]."""

from __future__ import annotations

import sys

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.signal_common import attr, check_vector_io, msb32, ref_float_via_int, u32

OPCODE = 108
TYPES = ("int16",)
# TFLite Micro's log2 correction table (129 segments' values plus padding), data, not a formula.
LOG_LUT = (
    0, 224, 442, 654, 861, 1063, 1259, 1450, 1636, 1817, 1992, 2163, 2329, 2490, 2646, 2797, 2944, 3087, 3224,
    3358, 3487, 3611, 3732, 3848, 3960, 4068, 4172, 4272, 4368, 4460, 4549, 4633, 4714, 4791, 4864, 4934, 5001,
    5063, 5123, 5178, 5231, 5280, 5326, 5368, 5408, 5444, 5477, 5507, 5533, 5557, 5578, 5595, 5610, 5622, 5631,
    5637, 5640, 5641, 5638, 5633, 5626, 5615, 5602, 5586, 5568, 5547, 5524, 5498, 5470, 5439, 5406, 5370, 5332,
    5291, 5249, 5203, 5156, 5106, 5054, 5000, 4944, 4885, 4825, 4762, 4697, 4630, 4561, 4490, 4416, 4341, 4264,
    4184, 4103, 4020, 3935, 3848, 3759, 3668, 3575, 3481, 3384, 3286, 3186, 3084, 2981, 2875, 2768, 2659, 2549,
    2437, 2323, 2207, 2090, 1971, 1851, 1729, 1605, 1480, 1353, 1224, 1094, 963, 830, 695, 559, 421, 282, 142,
    0, 0,
)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [g.tensors[op.inputs[0]].shape]


def macs(g: Graph, op: Op) -> int:
    return 3 * g.tensors[op.inputs[0]].numel


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return ref_float_via_int(g, op, sys.modules[__name__], xs)


def lower(g: Graph, op: Op) -> Lowered:
    x, y = check_vector_io(g, op, "uint32", "int16")
    bits, scale = attr(op, "input_correction_bits"), attr(op, "output_scale")
    if not 0 <= bits <= 31:
        raise IRError(f"{op.type} '{op.name}': input_correction_bits {bits} is outside 0..31")
    if not -(2**31) <= scale < 2**31:
        raise IRError(f"{op.type} '{op.name}': output_scale {scale} does not fit int32")
    return Lowered(inputs=[x], params=[bits, scale])


def log32(x: np.ndarray, out_scale: int) -> np.ndarray:
    x = np.asarray(x, np.int64)
    lut = np.asarray(LOG_LUT, np.int64)
    integer = msb32(x) - 1
    frac = x - (np.int64(1) << integer)
    frac = np.where(integer < 16, frac << np.maximum(16 - integer, 0), frac >> np.maximum(integer - 16, 0))
    seg = frac >> 9
    c0, c1 = lut[seg], lut[seg + 1]
    rel = ((c1 - c0) * (frac - 512 * seg)) >> 16
    log2 = ((integer << 16) + frac + c0 + rel) & 0xFFFFFFFF
    loge = ((45426 * log2 + 32768) >> 16) & 0xFFFFFFFF
    return ((out_scale & 0xFFFFFFFF) * loge + 32768 & 0xFFFFFFFF) >> 16


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    bits, scale = low.params
    scaled = u32(u32(xs[0]) << np.uint64(bits)).astype(np.int64)
    big = scaled > 1
    v = log32(np.where(big, scaled, 2), scale)
    return [np.where(big, np.minimum(v, 32767), 0).astype(np.int16)]
