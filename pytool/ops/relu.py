"""RELU. IR: inputs [x], attrs {}.

C (int8 or int16): inputs [x], params (TFLite Micro's CalculateReluOpData):
  [0] zx  [1] zy  [2] multiplier  [3] shift  (s_x / s_y, signed shift)
  [4] act_min = max(type min, zy)  [5] act_max = type max
int16 needs zero points 0 (TFLite Micro's Prepare checks it).
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32
from pytool.ops.common import QMAX, QMIN, quant_of
from quantize.fixedpoint import multiply_by_quantized_multiplier, quantize_multiplier

OPCODE = 17
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [g.tensors[op.inputs[0]].shape]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return [np.maximum(np.asarray(xs[0], np.float32), np.float32(0))]


def check_io(g: Graph, op: Op) -> str:
    """The shared dtype (int8 or int16) of the per-tensor input and output."""
    dts = {g.tensors[n].dtype for n in (op.inputs[0], op.outputs[0])}
    if len(dts) != 1 or not dts <= {"int8", "int16"}:
        raise IRError(f"{op.type} '{op.name}': input and output are {sorted(dts)}; the kernels take int8 or int16")
    dt = dts.pop()
    for n in (op.inputs[0], op.outputs[0]):
        q = quant_of(g, n, op)
        if q.per_channel:
            raise IRError(f"{op.type} '{op.name}': tensor '{n}' is per-channel; only per-tensor is supported")
        if dt == "int16" and op.type == "RELU" and int(q.zero_point[0]) != 0:
            raise IRError(f"{op.type} '{op.name}': int16 tensor '{n}' has zero point {int(q.zero_point[0])}; "
                          "TFLite Micro needs 0")
    return dt


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    dt = check_io(g, op)
    x, y = op.inputs[0], op.outputs[0]
    qx, qy = quant_of(g, x, op), quant_of(g, y, op)
    m, s = quantize_multiplier(float(np.float64(qx.scale[0]) / np.float64(qy.scale[0])))
    zy = int(qy.zero_point[0])
    # roundf(0 / s_y) is 0, so the lower bound is the output zero point.
    return Lowered(inputs=[x], params=[int(qx.zero_point[0]), zy, m, s, max(QMIN[dt], zy), QMAX[dt]])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    zx, zy, m, s, lo, hi = low.params
    y = zy + multiply_by_quantized_multiplier(np.asarray(xs[0], np.int64) - zx, m, s)
    return [np.clip(y, lo, hi).astype(g.tensors[op.outputs[0]].np_dtype)]
