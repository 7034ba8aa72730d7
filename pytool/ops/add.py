"""ADD. IR: inputs [a, b] (numpy broadcasting that fits 4-D views, see
broadcast_views4; either may be
const), attrs {activation: 'NONE'|'RELU'|'RELU6'|'RELU_N1_TO_1'}.

C (int8, or int16 with left_shift 15): inputs [a, b], params (TFLite Micro's AddPrepare, left_shift 20):
  [0] -za  [1] -zb  [2] zy  [3] left_shift
  [4] a multiplier  [5] a shift   (s_a / (2 max(s_a, s_b)), shift <= 0)
  [6] b multiplier  [7] b shift   (s_b / (2 max(s_a, s_b)))
  [8] out multiplier [9] out shift (2 max(s_a, s_b) / (2^20 s_y))
  [10] act_min  [11] act_max
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, arith_i32, f32
from pytool.ops.common import activation_float, activation_range_quantized, broadcast_views4, quant_of
from quantize.fixedpoint import multiply_by_quantized_multiplier, quantize_multiplier

OPCODE = 7
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)
LEFT_SHIFT = 20  # int8 inputs; TFLite uses 15 for int16


def broadcast_shape(op: Op, a: tuple, b: tuple) -> tuple:
    try:
        shape = tuple(int(d) for d in np.broadcast_shapes(tuple(a), tuple(b)))
    except ValueError:
        raise IRError(f"{op.type} '{op.name}': input shapes {a} and {b} do not broadcast") from None
    if len(shape) > 5 or broadcast_views4(tuple(a), tuple(b), shape) is None:
        raise IRError(f"{op.type} '{op.name}': broadcasting {a} with {b} needs more than 4 dimensions "
                      "after merging neighbouring axes")
    return shape


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [broadcast_shape(op, g.tensors[op.inputs[0]].shape, g.tensors[op.inputs[1]].shape)]


def macs(g: Graph, op: Op) -> int:
    return g.tensors[op.outputs[0]].numel


def ref_float(g: Graph, op: Op, xs: list) -> list:
    y = np.asarray(xs[0], np.float32) + np.asarray(xs[1], np.float32)
    return [activation_float(y, op.attrs.get("activation", "NONE")).astype(np.float32)]


def check_int8_per_tensor(g: Graph, op: Op, names: list[str]) -> None:
    for n in names:
        t = g.tensors[n]
        if t.dtype != "int8":
            raise IRError(f"{op.type} '{op.name}': tensor '{n}' is {t.dtype}; the int8 kernel needs int8")
        if quant_of(g, n, op).per_channel:
            raise IRError(f"{op.type} '{op.name}': tensor '{n}' is per-channel quantized; only per-tensor is supported")


def smaller_than_one(op: Op, what: str, real: float) -> tuple[int, int]:
    """TFLite QuantizeMultiplierSmallerThanOneExp: 0 < real < 1, shift <= 0."""
    if not 0.0 < real < 1.0:
        raise IRError(f"{op.type} '{op.name}': {what} multiplier {real} must be in (0, 1)")
    return quantize_multiplier(real)


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    return lower_scaled(g, op)


def lower_scaled(g: Graph, op: Op) -> Lowered:
    """ADD's and SUB's parameters. The scale ratios are doubles for both: the
    TFLite Micro interpreter the tests run gives SUB the bytes of double ratios
    (its sub Prepare's float32 expressions are not float32 there; with
    s_a = 0.02, s_b = 0.03, s_y = 0.04 float32 ratios miss ~4% of its outputs
    by one)."""
    if (low32 := arith_i32.maybe_lower(g, op)) is not None:
        return low32
    a, b = op.inputs[0], op.inputs[1]
    y = op.outputs[0]
    dtype = g.tensors[y].dtype
    if dtype == "int16" and {g.tensors[a].dtype, g.tensors[b].dtype} == {"int16"}:
        for n in (a, b, y):
            if quant_of(g, n, op).per_channel:
                raise IRError(f"{op.type} '{op.name}': tensor '{n}' is per-channel; only per-tensor is supported")
    else:
        check_int8_per_tensor(g, op, [a, b, y])
    left_shift = 15 if dtype == "int16" else LEFT_SHIFT
    qa, qb, qy = quant_of(g, a, op), quant_of(g, b, op), quant_of(g, y, op)
    sa, sb, sy = np.float32(qa.scale[0]), np.float32(qb.scale[0]), np.float32(qy.scale[0])
    twice_max = 2.0 * float(max(sa, sb))
    r1, r2 = float(sa) / twice_max, float(sb) / twice_max
    ro = twice_max / ((1 << left_shift) * float(sy))
    m1, s1 = smaller_than_one(op, "input 1", r1)
    m2, s2 = smaller_than_one(op, "input 2", r2)
    mo, so = smaller_than_one(op, "output", ro)
    zy = int(qy.zero_point[0])
    lo, hi = activation_range_quantized(op.attrs.get("activation", "NONE"), float(sy), zy, dtype)
    params = [-int(qa.zero_point[0]), -int(qb.zero_point[0]), zy, left_shift, m1, s1, m2, s2, mo, so, lo, hi]
    return Lowered(inputs=[a, b], params=params)


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    if low.opcode == arith_i32.OPCODE:
        return arith_i32.ref(g, op, low, xs)
    off1, off2, off_y, left, m1, s1, m2, s2, mo, so, lo, hi = low.params
    a, b = np.broadcast_arrays(np.asarray(xs[0], np.int64), np.asarray(xs[1], np.int64))
    a_scaled = multiply_by_quantized_multiplier((a + off1) << left, m1, s1)
    b_scaled = multiply_by_quantized_multiplier((b + off2) << left, m2, s2)
    raw = multiply_by_quantized_multiplier(a_scaled + b_scaled, mo, so) + off_y
    return [np.clip(raw, lo, hi).astype(g.tensors[op.outputs[0]].np_dtype)]
