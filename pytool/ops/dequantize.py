"""DEQUANTIZE. IR: inputs [x int8 | uint8 | int16], outputs [y float32], attrs {}.

C: inputs [x], params [scale_x (float32 bits as int32), zx];
y = scale_x * (x - zx), one float32 multiply (TFLite Micro's Dequantize).
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.common import quant_of
from pytool.ops.quantize import float_bits, float_from_bits

OPCODE = 15
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [g.tensors[op.inputs[0]].shape]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    # The float executor carries real values: dequantization is the identity.
    return [np.asarray(xs[0], np.float32)]


def lower(g: Graph, op: Op) -> Lowered:
    x, y = op.inputs[0], op.outputs[0]
    if g.tensors[x].dtype not in ("int8", "uint8", "int16"):
        raise IRError(f"DEQUANTIZE '{op.name}': input '{x}' is {g.tensors[x].dtype}; int8, uint8 or int16 is "
                      "supported")
    if g.tensors[y].dtype != "float32":
        raise IRError(f"DEQUANTIZE '{op.name}': output '{y}' is {g.tensors[y].dtype}; only float32 is supported")
    qx = quant_of(g, x, op)
    if qx.per_channel:
        raise IRError(f"DEQUANTIZE '{op.name}': input '{x}' is per-channel; only per-tensor is supported")
    return Lowered(inputs=[x], params=[float_bits(float(qx.scale[0])), int(qx.zero_point[0])])


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    scale, zx = float_from_bits(low.params[0]), low.params[1]
    return [(scale * (np.asarray(xs[0], np.int32) - zx).astype(np.float32)).astype(np.float32)]
