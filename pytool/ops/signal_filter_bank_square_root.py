"""SignalFilterBankSquareRoot. IR: inputs [x uint64 [c], scale_bits int32 []],
outputs [uint32 [c]]: TFLite Micro's Sqrt64 (bit-by-bit integer root with
rounding; Sqrt32 when the high word is 0) shifted right by scale_bits.

C (runtime_c/src/ops/signal_filter_bank_square_root.c): inputs [x, scale_bits]; no params."""

from __future__ import annotations

import sys

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.signal_common import check_dtypes, ref_float_via_int

OPCODE = 105
TYPES = ("int16",)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [g.tensors[op.inputs[0]].shape]


def macs(g: Graph, op: Op) -> int:
    return 32 * g.tensors[op.inputs[0]].numel


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return ref_float_via_int(g, op, sys.modules[__name__], xs)


def lower(g: Graph, op: Op) -> Lowered:
    if len(op.inputs) != 2:
        raise IRError(f"{op.type} '{op.name}': expected 2 inputs (x, scale_bits), got {len(op.inputs)}")
    check_dtypes(g, op, [*op.inputs, op.outputs[0]], ["uint64", "int32", "uint32"])
    if g.tensors[op.inputs[1]].numel != 1:
        raise IRError(f"{op.type} '{op.name}': scale_bits must be a scalar")
    return Lowered(inputs=list(op.inputs), params=[])


def sqrt_bits(num: int, width: int) -> int:
    """Sqrt32 (width 32) / Sqrt64 (width 64) of TFLite Micro's signal library."""
    if width == 64 and num >> 32 == 0:
        return sqrt_bits(num, 32)
    if num == 0:
        return 0
    mx = (width - num.bit_length()) | 1
    bit, res = 1 << (width - 1 - mx), 0
    for _ in range((width - 1 - mx) // 2 + 1):
        if num >= res + bit:
            num -= res + bit
            res = (res >> 1) + bit
        else:
            res >>= 1
        bit >>= 2
    if num > res and res != (0xFFFF if width == 32 else 0xFFFFFFFF):
        res += 1
    return res & (0xFFFF if width == 32 else 0xFFFFFFFF)


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    s = int(np.asarray(xs[1]).reshape(-1)[0])
    roots = [sqrt_bits(int(v), 64) for v in np.asarray(xs[0], np.uint64).reshape(-1)]
    # A shift outside 0..31 (undefined in C++) gives 0, in the C too.
    out = [r >> s if 0 <= s < 32 else 0 for r in roots]
    return [np.array(out, np.uint32).reshape(g.tensors[op.outputs[0]].shape)]
