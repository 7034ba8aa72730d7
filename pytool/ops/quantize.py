"""QUANTIZE. IR: inputs [x float32 | int8], outputs [y int8], attrs {}.

C: inputs [x], params (TFLite Micro's quantize kernel):
  float32 -> int8: [0, scale_y (float32 bits as int32), zy]
      y = clamp(round_half_away(x / scale_y in float32) + zy)
  int8 -> int8:    [1, zx, multiplier, shift, zy]   (s_x / s_y in double)
  between int8, uint8, int16 and int32 (any pair but int8 -> int8; uint8 as
      TFLite Micro's uint8 <-> int8 model edges): [2, zx,
      multiplier, shift, zy] (the same Requantize, int32 arithmetic wrapping);
      float32 -> int16 uses the float form with an int16 clamp
      y = clamp(MultiplyByQuantizedMultiplier(x - zx) + zy)
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered
from pytool.ops.common import quant_of
from pytool.ops.unary_common import clip
from quantize.fixedpoint import multiply_by_quantized_multiplier, quantize_multiplier

OPCODE = 14
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)
FROM_FLOAT, FROM_INT8, REQUANT_16 = 0, 1, 2


def float_bits(value: float) -> int:
    return int(np.array([value], np.float32).view(np.int32)[0])


def float_from_bits(bits: int) -> np.float32:
    return np.array([bits], np.int64).astype(np.int32).view(np.float32)[0]


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [g.tensors[op.inputs[0]].shape]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    # The float executor carries real values: quantization is the identity.
    return [np.asarray(xs[0], np.float32)]


def lower(g: Graph, op: Op) -> Lowered:
    x, y = op.inputs[0], op.outputs[0]
    tx, ty = g.tensors[x], g.tensors[y]
    if ty.dtype not in ("int8", "uint8", "int16", "int32"):
        raise IRError(f"QUANTIZE '{op.name}': output '{y}' is {ty.dtype}; int8, uint8, int16 or int32 output is "
                      "supported")
    qy = quant_of(g, y, op)
    if qy.per_channel:
        raise IRError(f"QUANTIZE '{op.name}': output '{y}' is per-channel; only per-tensor is supported")
    zy = int(qy.zero_point[0])
    if tx.dtype == "float32":
        if ty.dtype == "uint8":
            raise IRError(f"QUANTIZE '{op.name}': float32 -> uint8 is not supported (TFLite Micro has no such kernel)")
        return Lowered(inputs=[x], params=[FROM_FLOAT, float_bits(float(qy.scale[0])), zy])
    if ty.dtype == "int32" and tx.dtype == "float32":
        raise IRError(f"QUANTIZE '{op.name}': float32 -> int32 is not supported")
    if {tx.dtype, ty.dtype} & {"int16", "int32", "uint8"} and tx.dtype in ("int8", "uint8", "int16", "int32"):
        qx = quant_of(g, x, op)
        m, s = quantize_multiplier(float(np.float64(qx.scale[0]) / np.float64(qy.scale[0])))
        return Lowered(inputs=[x], params=[REQUANT_16, int(qx.zero_point[0]), m, s, zy])
    if tx.dtype == "int8":
        qx = quant_of(g, x, op)
        m, s = quantize_multiplier(float(np.float64(qx.scale[0]) / np.float64(qy.scale[0])))
        return Lowered(inputs=[x], params=[FROM_INT8, int(qx.zero_point[0]), m, s, zy])
    raise IRError(f"QUANTIZE '{op.name}': input '{x}' is {tx.dtype}; supported inputs are float32, int8, uint8, "
                  "int16 and int32")


def round_half_away(v: np.ndarray) -> np.ndarray:
    v64 = np.asarray(v, np.float64)  # exact for float32 values, so +0.5 cannot round
    return np.sign(v64) * np.floor(np.abs(v64) + 0.5)


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    p = low.params
    out_dtype = g.tensors[op.outputs[0]].dtype
    if p[0] == FROM_FLOAT:
        scale, zy = float_from_bits(p[1]), p[2]
        with np.errstate(all="ignore"):
            v = np.asarray(xs[0], np.float32) / scale
        q = np.where(np.isnan(v), 0, round_half_away(np.clip(np.nan_to_num(v), -1e6, 1e6)))
        return [clip(q.astype(np.int64) + zy, out_dtype)]
    _, zx, m, s, zy = p
    d = ((np.asarray(xs[0], np.int64) - zx + 2**31) % 2**32) - 2**31
    y = ((multiply_by_quantized_multiplier(d, m, s) + zy + 2**31) % 2**32) - 2**31
    return [clip(y, out_dtype)]
