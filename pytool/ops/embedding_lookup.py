"""EMBEDDING_LOOKUP (TFLite Micro's kernel). IR: inputs [lookup, value], attrs {}.

lookup is 1-D int32, value has rank >= 2; the output is [len(lookup),
*value.shape[1:]], the looked-up rows. float32 -> float32 and int8 -> int8
copy the rows' bytes (TFLite Micro does not requantize: the output's
parameters are not used), so they lower to GATHER's C op on axis 0. int8 ->
float32 (hybrid) multiplies each value by the value tensor's scale, one
float32 product (TFLite Micro's Dequantize with zero point 0; a per-channel
tensor gives its first scale, as TFLite Micro's tensor params do): GATHER's
C op with a fourth param, the scale's float bits. An index outside
[0, rows) fails the op, as in TFLite Micro.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, gather
from pytool.ops.quantize import float_bits

OPCODE = gather.OPCODE
TYPES = ("int8", "float32")


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    lookup, value = g.tensors[op.inputs[0]].shape, g.tensors[op.inputs[1]].shape
    return [(int(np.prod(lookup, dtype=np.int64)), *value[1:])]


def macs(g: Graph, op: Op) -> int:
    return 0


def _check(g: Graph, op: Op) -> tuple[bool, float]:
    """(hybrid, scale) after TFLite Micro's Prepare checks."""
    lookup, value, y = (g.tensors[n] for n in (*op.inputs[:2], op.outputs[0]))
    where = f"EMBEDDING_LOOKUP '{op.name}'"
    if len(op.inputs) != 2:
        raise IRError(f"{where}: needs 2 inputs (lookup, value), got {len(op.inputs)}")
    if lookup.dtype != "int32" or len(lookup.shape) != 1:
        raise IRError(f"{where}: lookup '{lookup.name}' is {lookup.dtype}{list(lookup.shape)}; 1-D int32 expected")
    if len(value.shape) < 2:
        raise IRError(f"{where}: value '{value.name}' has rank {len(value.shape)}; at least 2 expected")
    pairs = {("float32", "float32"), ("int8", "int8"), ("int8", "float32")}
    if (value.dtype, y.dtype) not in pairs:
        raise IRError(f"{where}: {value.dtype} value to {y.dtype} output; supported: float32 -> float32, "
                      "int8 -> int8, int8 -> float32 (as TFLite Micro)")
    if value.dtype == y.dtype:
        return False, 1.0
    q = value.quant
    if q is None:
        raise IRError(f"{where}: int8 value '{value.name}' to float32 needs a quantization scale")
    if int(q.zero_point[0]) != 0:
        raise IRError(f"{where}: int8 value '{value.name}' has zero point {int(q.zero_point[0])}; "
                      "TFLite Micro's int8 -> float32 lookup needs 0")
    return True, float(q.scale[0])


def lower(g: Graph, op: Op) -> Lowered:
    hybrid, scale = _check(g, op)
    value = g.tensors[op.inputs[1]]
    inner = int(np.prod(value.shape[1:], dtype=np.int64))
    params = [1, value.shape[0], inner] + ([float_bits(scale)] if hybrid else [])
    return Lowered(inputs=[op.inputs[1], op.inputs[0]], params=params)


def _rows(op: Op, value: np.ndarray, lookup: np.ndarray) -> np.ndarray:
    idx = np.asarray(lookup, np.int64).reshape(-1)
    if np.any((idx < 0) | (idx >= value.shape[0])):
        raise IRError(f"EMBEDDING_LOOKUP '{op.name}': an index is out of range [0, {value.shape[0]})")
    return value[idx]


def ref_float(g: Graph, op: Op, xs: list) -> list:
    hybrid, scale = _check(g, op)
    y = _rows(op, np.asarray(xs[1]), xs[0])
    return [(y.astype(np.float32) * np.float32(scale)).astype(np.float32) if hybrid else y]


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    return ref_float(g, op, [xs[1], xs[0]])  # xs follow the lowered inputs (value, lookup)
