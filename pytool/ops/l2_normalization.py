"""L2_NORMALIZATION. IR: inputs [x], attrs {activation}; y = x / ||x|| over
the last axis.

C (int8, as TFLite Micro): params [zx]. The output must be scale 1/128, zero
point 0 (TFLite Micro's Prepare checks it). Per row: the sum of squared
offsets, GetInvSqrtQuantizedMultiplierExp, each offset rescaled with 7 extra
bits and clamped.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32
from pytool.ops.rsqrt import inv_sqrt_exp
from pytool.ops.unary_common import io_dtype, per_tensor
from quantize.fixedpoint import multiply_by_quantized_multiplier

OPCODE = 59
TYPES = ("int8",)  # TFLite Micro's L2_NORMALIZATION takes float32 and int8


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [g.tensors[op.inputs[0]].shape]


def macs(g: Graph, op: Op) -> int:
    return 2 * g.tensors[op.inputs[0]].numel


def ref_float(g: Graph, op: Op, xs: list) -> list:
    x = np.asarray(xs[0], np.float32)
    return [(x / np.sqrt(np.sum(x * x, axis=-1, keepdims=True))).astype(np.float32)]


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    if io_dtype(g, op, ("int8", "int16")) != "int8":
        raise IRError(f"L2_NORMALIZATION '{op.name}': int16; TFLite Micro's kernel takes int8 only")
    if op.attrs.get("activation", "NONE") != "NONE":
        raise IRError(f"L2_NORMALIZATION '{op.name}': fused activation {op.attrs['activation']} is not supported")
    qx, qy = per_tensor(g, op, op.inputs[0]), per_tensor(g, op, op.outputs[0])
    if float(np.float32(qy.scale[0])) != 1.0 / 128 or int(qy.zero_point[0]) != 0:
        raise IRError(f"L2_NORMALIZATION '{op.name}': output scale {float(qy.scale[0])} / zero point "
                      f"{int(qy.zero_point[0])}; TFLite Micro needs 1/128 and 0")
    return Lowered(inputs=[op.inputs[0]], params=[int(qx.zero_point[0])])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    x = np.asarray(xs[0], np.int64) - low.params[0]
    acc = np.sum(x * x, axis=-1, keepdims=True)
    acc = ((acc + 2**31) % 2**32) - 2**31
    m, s = inv_sqrt_exp(acc, -1)
    y = multiply_by_quantized_multiplier(x, m, s + 7)
    return [np.clip(y, -128, 127).astype(np.int8)]
