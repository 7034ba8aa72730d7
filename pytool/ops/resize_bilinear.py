"""RESIZE_BILINEAR. IR: inputs [x NHWC, size const [h, w]], attrs
{align_corners, half_pixel_centers}.

C (int8): inputs [x]; params [(scaled, lo, hi) per output row, then
per output column] from ResizeBilinearInteger's ComputeInterpolationValuesInteger
(10-bit positions, C division truncating toward zero); the kernel does the
20-bit weighted sum and its rounding.
"""

from __future__ import annotations

import numpy as np

from pytool.ir import Graph, IRError, Op
from pytool.ops import Lowered, f32
from pytool.ops.resize_common import check, infer_shapes, out_hw

OPCODE = 35
TYPES = ("int8",)  # TFLite Micro has no int16 RESIZE_BILINEAR
__all__ = ["OPCODE", "TYPES", "infer_shapes", "macs", "ref_float", "lower", "ref_int8"]


def _cdiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def axis_table(in_size: int, out_size: int, align: bool, half: bool) -> list[int]:
    scale = _cdiv((1 << 10) * in_size + out_size // 2, out_size)
    if align and out_size > 1:
        scale = _cdiv((1 << 10) * (in_size - 1) + (out_size - 1) // 2, out_size - 1)
    out = []
    for v in range(out_size):
        s = v * scale + scale // 2 - (1 << 9) if half else v * scale
        out += [s, max(_cdiv(s, 1 << 10), 0), min(_cdiv(s + (1 << 10) - 1, 1 << 10), in_size - 1)]
    return out


def tables(g: Graph, op: Op) -> tuple[list[int], list[int]]:
    x = g.tensors[op.inputs[0]].shape
    h, w = out_hw(g, op)
    a, hp = bool(op.attrs.get("align_corners")), bool(op.attrs.get("half_pixel_centers"))
    return axis_table(x[1], h, a, hp), axis_table(x[2], w, a, hp)


def macs(g: Graph, op: Op) -> int:
    return 4 * g.tensors[op.outputs[0]].numel


def _interp(x: np.ndarray, ty: list[int], tx: list[int], exact: bool) -> np.ndarray:
    t_y, t_x = np.asarray(ty, np.int64).reshape(-1, 3), np.asarray(tx, np.int64).reshape(-1, 3)
    wy1 = (t_y[:, 0] - 1024 * t_y[:, 1])[None, :, None, None]
    wx1 = (t_x[:, 0] - 1024 * t_x[:, 1])[None, None, :, None]
    wy0, wx0 = 1024 - wy1, 1024 - wx1
    y0, y1, x0, x1 = t_y[:, 1], t_y[:, 2], t_x[:, 1], t_x[:, 2]
    xx = x.astype(np.int64) if exact else x.astype(np.float64)
    s = (xx[:, y0][:, :, x0] * wy0 * wx0 + xx[:, y1][:, :, x0] * wy1 * wx0 + xx[:, y0][:, :, x1] * wy0 * wx1
         + xx[:, y1][:, :, x1] * wy1 * wx1)
    if not exact:
        return s / float(1 << 20)
    r = s + np.where(s > 0, 1 << 19, -(1 << 19))
    return np.sign(r) * (np.abs(r) // (1 << 20))


def ref_float(g: Graph, op: Op, xs: list) -> list:
    ty, tx = tables(g, op)  # the same 10-bit positions, unrounded sums
    return [_interp(np.asarray(xs[0]), ty, tx, exact=False).astype(np.float32)]


def lower(g: Graph, op: Op) -> Lowered:
    if (low_f32 := f32.maybe_lower(g, op)) is not None:  # float32 islands
        return low_f32
    check(g, op)
    if g.tensors[op.inputs[0]].dtype != "int8":
        raise IRError(f"RESIZE_BILINEAR '{op.name}': int8 only (TFLite Micro has no int16 kernel)")
    ty, tx = tables(g, op)
    return Lowered(inputs=[op.inputs[0]], params=ty + tx)


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    if low.opcode == f32.OPCODE:
        return f32.ref(g, op, low, xs)
    h = g.tensors[op.outputs[0]].shape[1]
    y = _interp(np.asarray(xs[0]), low.params[: 3 * h], low.params[3 * h:], exact=True)
    return [y.astype(g.tensors[op.outputs[0]].np_dtype)]
