"""MUL. IR: inputs [a, b] (numpy broadcasting up to rank 4; either may be
const), attrs {activation: 'NONE'|'RELU'|'RELU6'|'RELU_N1_TO_1'}.

C (int8): inputs [a, b], params (TFLite Micro's MulPrepare):
  [0] -za  [1] -zb  [2] zy
  [3] multiplier  [4] shift  (s_a * s_b / s_y in double, signed shift)
  [5] act_min  [6] act_max
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, arith_i32, f32
from pytool.ops.add import broadcast_shape, check_int8_per_tensor
from pytool.ops.common import activation_float, activation_range_quantized, quant_of
from quantize.fixedpoint import multiply_by_quantized_multiplier, quantize_multiplier

OPCODE = 8
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [broadcast_shape(op, g.tensors[op.inputs[0]].shape, g.tensors[op.inputs[1]].shape)]


def macs(g: Graph, op: Op) -> int:
    return g.tensors[op.outputs[0]].numel


def ref_float(g: Graph, op: Op, xs: list) -> list:
    y = np.asarray(xs[0], np.float32) * np.asarray(xs[1], np.float32)
    return [activation_float(y, op.attrs.get("activation", "NONE")).astype(np.float32)]


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    if (low32 := arith_i32.maybe_lower(g, op)) is not None:
        return low32
    a, b = op.inputs[0], op.inputs[1]
    y = op.outputs[0]
    dtype = g.tensors[y].dtype
    if dtype == "int16" and {g.tensors[a].dtype, g.tensors[b].dtype} == {"int16"}:
        for n in (a, b, y):
            if quant_of(g, n, op).per_channel:
                raise IRError(f"MUL '{op.name}': tensor '{n}' is per-channel; only per-tensor is supported")
    else:
        check_int8_per_tensor(g, op, [a, b, y])
    qa, qb, qy = quant_of(g, a, op), quant_of(g, b, op), quant_of(g, y, op)
    # float32 scales promoted to double, multiplied, then divided (as TFLite).
    real = float(np.float64(qa.scale[0]) * np.float64(qb.scale[0]) / np.float64(qy.scale[0]))
    m, s = quantize_multiplier(real)
    zy = int(qy.zero_point[0])
    lo, hi = activation_range_quantized(op.attrs.get("activation", "NONE"), float(qy.scale[0]), zy, dtype)
    return Lowered(inputs=[a, b], params=[-int(qa.zero_point[0]), -int(qb.zero_point[0]), zy, m, s, lo, hi])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    if low.opcode == arith_i32.OPCODE:
        return arith_i32.ref(g, op, low, xs)
    off1, off2, off_y, m, s, lo, hi = low.params
    a, b = np.broadcast_arrays(np.asarray(xs[0], np.int64), np.asarray(xs[1], np.int64))
    raw = multiply_by_quantized_multiplier((a + off1) * (b + off2), m, s) + off_y
    return [np.clip(raw, lo, hi).astype(g.tensors[op.outputs[0]].np_dtype)]
