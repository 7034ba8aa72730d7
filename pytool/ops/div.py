"""DIV. IR: inputs [a, b] (broadcasting as ADD), attrs {activation}.

C (int8): inputs [a, b]; MUL's 7 params with the multiplier of
s_a / (s_b s_y) (computed in float32 as TFLite Micro's div Prepare does).
A zero divisor saturates to the activation bound of the dividend's sign.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, arith_i32, f32
from pytool.ops.add import broadcast_shape
from pytool.ops.common import activation_float, activation_range_quantized
from pytool.ops.softmax import reciprocal, srdhm
from pytool.ops.unary_common import per_tensor
from quantize.fixedpoint import quantize_multiplier, rounding_divide_by_pot

OPCODE = 43
TYPES = ("int8",)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [broadcast_shape(op, g.tensors[op.inputs[0]].shape, g.tensors[op.inputs[1]].shape)]


def macs(g: Graph, op: Op) -> int:
    return g.tensors[op.outputs[0]].numel


def ref_float(g: Graph, op: Op, xs: list) -> list:
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.asarray(xs[0], np.float32) / np.asarray(xs[1], np.float32)
    return [activation_float(y, op.attrs.get("activation", "NONE")).astype(np.float32)]


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    if (low32 := arith_i32.maybe_lower(g, op)) is not None:  # int32 DIV (truncating), e.g. audio front ends
        return low32
    a, b, y = op.inputs[0], op.inputs[1], op.outputs[0]
    for n in (a, b, y):
        if g.tensors[n].dtype != "int8":
            raise IRError(f"DIV '{op.name}': tensor '{n}' is {g.tensors[n].dtype}, int8 expected")
    qa, qb, qy = per_tensor(g, op, a), per_tensor(g, op, b), per_tensor(g, op, y)
    sa, sb, sy = (np.float32(q.scale[0]) for q in (qa, qb, qy))
    m, s = quantize_multiplier(float(np.float32(sa / np.float32(sb * sy))))
    zy = int(qy.zero_point[0])
    lo, hi = activation_range_quantized(op.attrs.get("activation", "NONE"), float(sy), zy)
    return Lowered(inputs=[a, b], params=[-int(qa.zero_point[0]), -int(qb.zero_point[0]), zy, m, s, lo, hi])


def _sign_bits(x: int) -> int:
    if x == 0:
        return 31
    u = ~x & 0xFFFFFFFF if x < 0 else x
    return 32 - int(u).bit_length() - 1


def _one(x: int, d: int, p: list[int]) -> int:
    o1, o2, zy, m, s, lo, hi = p
    x, d = x + o1, d + o2
    if d == 0:
        return hi if x >= 0 else lo
    if d < 0:
        x, d = -x, -d
    inv, recip_shift = reciprocal(d, 31)
    head = _sign_bits(x)
    xs = ((x << head) + 2**31) % 2**32 - 2**31
    q = int(srdhm(xs, inv))
    total = s - recip_shift - head
    mm = int(srdhm(q, m))
    r = int(rounding_divide_by_pot(mm, -total)) if total <= 0 else ((mm << total) + 2**31) % 2**32 - 2**31
    return min(max(zy + r, lo), hi)


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    if low.opcode == arith_i32.OPCODE:
        return arith_i32.ref(g, op, low, xs)
    a, b = np.broadcast_arrays(np.asarray(xs[0], np.int64), np.asarray(xs[1], np.int64))
    y = np.array([_one(int(u), int(v), low.params) for u, v in zip(a.ravel(), b.ravel())], np.int64)
    return [y.reshape(a.shape).astype(np.int8)]
