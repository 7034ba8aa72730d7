"""SignalFftAutoScale. IR: inputs [x int16 [n]], outputs [y int16 [n],
scale_bits int32 []]: y = x << s with s = 15 - bit length of max |x|
(at least 0), TFLite Micro's FftAutoScale including its int16 max-abs quirk
(-(-32768) stored back into int16 stays -32768, and later values compare
against that).

C (runtime_c/src/ops/signal_fft_auto_scale.c): inputs [x]; no params."""

from __future__ import annotations

import sys

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.signal_common import check_dtypes, msb32, ref_float_via_int, wrap16

OPCODE = 101
TYPES = ("int16",)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [g.tensors[op.inputs[0]].shape, ()]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return ref_float_via_int(g, op, sys.modules[__name__], xs)


def lower(g: Graph, op: Op) -> Lowered:
    if len(op.inputs) != 1 or len(op.outputs) != 2:
        raise IRError(f"{op.type} '{op.name}': expected 1 input and 2 outputs")
    check_dtypes(g, op, [op.inputs[0], *op.outputs], ["int16", "int16", "int32"])
    if len(g.tensors[op.inputs[0]].shape) != 1:
        raise IRError(f"{op.type} '{op.name}': input must be 1-D, got {g.tensors[op.inputs[0]].shape}")
    return Lowered(inputs=[op.inputs[0]], params=[])


def max_abs16(x: np.ndarray) -> int:
    m = 0
    for v in np.asarray(x, np.int64).tolist():
        if v > m:
            m = v
        elif -v > m:
            m = int(wrap16(-v))
    return m


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    x = np.asarray(xs[0], np.int64)
    m = max_abs16(x)
    bits = max(0, 16 - int(msb32(np.array(m & 0xFFFFFFFF))) - 1)
    return [wrap16(x * (1 << bits)).astype(np.int16), np.array(bits, np.int32)]
