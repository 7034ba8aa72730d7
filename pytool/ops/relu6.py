"""RELU6. IR: inputs [x], attrs {}.

C (int8 or int16): inputs [x], params [lower, upper]: TFLite Micro's Relu6 clamps in
the input's quantization (lower = zx, upper = FloatToQuantizedType(6.0):
round(6 / s_x in float32) + zx clamped to the type) and does not requantize, so
the output is meant to share the input's scale and zero point.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, Op
from pytool.ops import Lowered, f32
from pytool.ops.common import QMAX, QMIN, quant_of
from pytool.ops.relu import check_io
from quantize.fixedpoint import tflite_round

OPCODE = 18
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [g.tensors[op.inputs[0]].shape]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return [np.clip(np.asarray(xs[0], np.float32), np.float32(0), np.float32(6))]


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    dt = check_io(g, op)
    qx = quant_of(g, op.inputs[0], op)
    zx = int(qx.zero_point[0])
    six = tflite_round(float(np.float32(6.0) / np.float32(qx.scale[0]))) + zx
    return Lowered(inputs=[op.inputs[0]], params=[zx, int(np.clip(six, QMIN[dt], QMAX[dt]))])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    lower_q, upper_q = low.params
    x = np.asarray(xs[0])
    return [np.clip(x, lower_q, upper_q).astype(x.dtype)]
