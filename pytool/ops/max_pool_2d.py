"""MAX_POOL_2D. IR: inputs [x NHWC], attrs {stride:(h,w), filter:(h,w),
padding, activation}. Padding never wins the max (taps outside are skipped).

C (runtime_c/src/ops/max_pool_2d.c): inputs [x]; params [stride_h, stride_w,
filter_h, filter_w, pad_h, pad_w, act_min, act_max].
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, Op
from pytool.ops import Lowered, f32
from pytool.ops.average_pool_2d import infer_shapes, lower_pool, pool_geometry
from pytool.ops.common import activation_float
from pytool.ops.conv_2d import windows

OPCODE = 5
TYPES = ("int8", "int16")  # activation dtypes the C kernels take (README table)

__all__ = ["OPCODE", "TYPES", "infer_shapes", "macs", "ref_float", "lower", "ref_int8"]


def macs(g: Graph, op: Op) -> int:
    return 0


def ref_float(g: Graph, op: Op, xs: list) -> list:
    _, filt, stride, out_hw, pad = pool_geometry(g, op)
    x = np.asarray(xs[0], np.float64)
    y = windows(x, filt, stride, (1, 1), pad, out_hw, fill=-np.inf).max(axis=(3, 4))
    return [activation_float(y, op.attrs.get("activation", "NONE")).astype(np.float32)]


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    return lower_pool(g, op)


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    sh, sw, fh, fw, ph, pw, amin, amax = low.params
    _, oh, ow, _ = g.tensors[op.outputs[0]].shape
    x = np.asarray(xs[0], np.int64)
    dt = g.tensors[op.outputs[0]].np_dtype
    y = windows(x, (fh, fw), (sh, sw), (1, 1), (ph, pw), (oh, ow), fill=np.iinfo(dt).min).max(axis=(3, 4))
    return [np.clip(y, amin, amax).astype(dt)]
