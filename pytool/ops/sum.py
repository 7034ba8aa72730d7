"""SUM. IR: inputs [x, axes const int32], attrs {keep_dims}.

TFLite Micro runs int8/int16 SUM through QuantizedMeanOrSum with compute_sum:
MEAN's computation without the 1/count fold (multiplier s_in / s_out). C: the
MEAN op (int8) or MEAN_S16 (int16) with those params (pytool/ops/mean.py).
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, Op
from pytool.ops import Lowered, f32
from pytool.ops.mean import OPCODE, infer_shapes, lower_reduce, macs, ref_int8, resolved_axes

TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)

__all__ = ["OPCODE", "TYPES", "infer_shapes", "macs", "ref_float", "lower", "ref_int8"]


def ref_float(g: Graph, op: Op, xs: list) -> list:
    axes = tuple(resolved_axes(g, op))
    y = np.sum(np.asarray(xs[0], np.float64), axis=axes, keepdims=True) if axes else np.asarray(xs[0])
    return [np.asarray(y, np.float32).reshape(g.tensors[op.outputs[0]].shape)]


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    return lower_reduce(g, op, mean=False)
