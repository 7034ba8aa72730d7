"""RELU. IR: inputs [x], attrs {}.

C (int8): inputs [x], params (TFLite Micro's CalculateReluOpData):
  [0] zx  [1] zy  [2] multiplier  [3] shift  (s_x / s_y, signed shift)
  [4] act_min = max(-128, zy)  [5] act_max = 127
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.common import quant_of
from quantize.fixedpoint import multiply_by_quantized_multiplier, quantize_multiplier

OPCODE = 17
TYPES = ("int8",)  # activation dtypes the C kernels take (README table)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [g.tensors[op.inputs[0]].shape]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return [np.maximum(np.asarray(xs[0], np.float32), np.float32(0))]


def check_int8(g: Graph, op: Op) -> None:
    for n in (op.inputs[0], op.outputs[0]):
        if g.tensors[n].dtype != "int8":
            raise IRError(f"{op.type} '{op.name}': tensor '{n}' is {g.tensors[n].dtype}; the int8 kernel needs int8")
        if quant_of(g, n, op).per_channel:
            raise IRError(f"{op.type} '{op.name}': tensor '{n}' is per-channel; only per-tensor is supported")


def lower(g: Graph, op: Op) -> Lowered:
    check_int8(g, op)
    x, y = op.inputs[0], op.outputs[0]
    qx, qy = quant_of(g, x, op), quant_of(g, y, op)
    m, s = quantize_multiplier(float(np.float64(qx.scale[0]) / np.float64(qy.scale[0])))
    zy = int(qy.zero_point[0])
    # roundf(0 / s_y) is 0, so the lower bound is the output zero point.
    return Lowered(inputs=[x], params=[int(qx.zero_point[0]), zy, m, s, max(-128, zy), 127])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    zx, zy, m, s, lo, hi = low.params
    y = zy + multiply_by_quantized_multiplier(np.asarray(xs[0], np.int64) - zx, m, s)
    return [np.clip(y, lo, hi).astype(np.int8)]
